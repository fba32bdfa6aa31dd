# A customer-support agent run under the guard. The "model" is a script of the
# turns a misbehaving model might take: it re-reads the same order, jitters
# its knowledge-base queries, tries to refund twice and then stalls. The guard
# turns each of those into an action the loop handles. Tool arguments arrive
# as the JSON text a model writes and reach the guard as they are (RawJSON).
require "json"
require "auraguard"

TOOLS = {
  "get_order" => ->(order_id:) { { order_id: order_id, status: "delivered", total: 42.0 } },
  "search_kb" => ->(query:) { { hits: ["Refunds are accepted within 30 days (#{query})"] } },
  "refund" => ->(order_id:, amount:) { { refund_id: "R-#{order_id}", amount: amount } }
}.freeze

SCRIPT = [
  [:tool, "get_order", '{ "order_id": "A1" }'],
  [:tool, "get_order", '{ "order_id": "A1" }'],
  [:tool, "get_order", '{ "order_id": "A1" }'],
  [:tool, "search_kb", '{ "query": "refund policy" }'],
  [:tool, "search_kb", '{ "query": "refund policy EU" }'],
  [:tool, "search_kb", '{ "query": "refund policy EU Germany" }'],
  [:tool, "search_kb", '{ "query": "refund policy Germany 2024" }'],
  [:tool, "refund", '{ "order_id": "A1", "amount": 42.0 }'],
  [:tool, "refund", '{ "order_id": "A1", "amount": 42.0 }'],
  [:say, "I have issued the refund."],
  [:say, "I'm sorry for the delay, I'm still checking."],
  [:say, "I'm sorry for the delay, I'm still checking."],
  [:say, '{"action":"finalize","reason":"refund issued","reply_draft":"Your refund of 42.00 is on its way."}']
].freeze

guard = AuraGuard::Guard.new(secret_key: "example-key", max_cost_per_run: 2.0, side_effect_tools: ["refund"])
guard.on_event do |event|
  puts "    [event] #{event[:action]} #{event[:reason]}" if event[:event] == "intervention"
end

SCRIPT.each do |kind, what, args|
  guard.record_tokens(input_tokens: 800, output_tokens: 120) # the model turn that produced this step
  if kind == :tool
    begin
      result = guard.run(what, AuraGuard::RawJSON.new(args), ticket_id: "T-1") do
        TOOLS.fetch(what).call(**JSON.parse(args, symbolize_names: true))
      end
      puts "#{what} #{args} -> #{result}"
    rescue AuraGuard::Denied => e
      d = e.decision
      puts "#{what} #{args} -> #{d.action}: #{d.injected_system || d.reason}"
      break if d.escalate?
    end
  else
    decision = guard.check_output(what)
    next puts("model says: #{what}") if decision.nil?

    puts "model says: #{what}\n  -> #{decision.action} (#{decision.reason})"
    puts "  guard tells the model: #{decision.injected_system}" if decision.rewrite?
    puts "final reply: #{decision.finalized_output[:reply_draft]}" if decision.finalize?
    break if decision.finalize? || decision.escalate?
  end
end

puts
puts guard.report
guard.close

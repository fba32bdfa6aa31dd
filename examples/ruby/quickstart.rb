require "auraguard"

guard = AuraGuard::Guard.new(secret_key: "change-me", max_cost_per_run: 1.0)
orders = { "A1" => { status: "shipped" } }

3.times do # an agent that keeps asking for the same order
  decision = guard.check_tool("get_order", { order_id: "A1" }, ticket_id: "T-1")
  case decision.action
  when :allow then guard.record_result(ok: true, payload: orders["A1"], call_id: decision.call_id)
  when :cache then puts "reused: #{decision.cached_result[:payload]}"
  when :rewrite then puts "tell the model: #{decision.injected_system}"
  when :escalate then puts "hand to a human: #{decision.escalation_packet[:summary]}"
  else puts "#{decision.action}: #{decision.reason}"
  end
end
puts guard.report

require "auraguard"
require "auraguard/providers"

# The body the Anthropic Messages API returned: the model asks for one refund twice.
response = File.read(ARGV[0] || "tests/fixtures/providers/anthropic_messages_repeat.json")
tools = {
  # A side effect passes the guard's idempotency key on to the payment API.
  "refund" => ->(args, decision) { { refund_id: "R-1", order: args[:order_id], key: decision.idempotency_key } }
}
guard = AuraGuard::Guard.new(secret_key: "change-me")
turn = AuraGuard::Providers.run_turn(guard, :anthropic_messages, response, tools, ticket_id: "T-1")
puts JSON.generate(turn.messages) # append them, then call the model again
puts "stop and #{turn.host_action}: #{turn.stopped_by.decision.reason}" if turn.ends_turn?
puts "refunds executed: #{guard.stats[:tool_calls_executed]}"

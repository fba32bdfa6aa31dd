# frozen_string_literal: true

require_relative "test_helper"

# Guard#run: check, execute, record around a block, for each action.
class RunTest < Minitest::Test
  class LookupFailed < StandardError; end

  def test_allow_yields_records_the_value_and_returns_it
    g = guard
    yielded = nil
    value = g.run("get_order", order_id: 1) do |decision|
      yielded = decision
      { status: "shipped" }
    end
    assert_equal({ status: "shipped" }, value)
    assert_predicate yielded, :allow?
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_cache_returns_the_recorded_payload_without_yielding
    g = guard(side_effect_tools: ["refund"])
    g.run("refund", ticket_id: "T", order_id: "A") { { refund_id: "R-1" } }
    yielded = false
    value = g.run("refund", ticket_id: "T", order_id: "A") { yielded = true }
    assert_equal({ refund_id: "R-1" }, value)
    refute yielded
  end

  def test_block_raises_denied_carrying_the_decision
    g = guard
    g.run("refund", ticket_id: "T", order_id: "A") { "done" }
    error = assert_raises(AuraGuard::Denied) { g.run("refund", ticket_id: "T2", order_id: "A") { flunk "executed" } }
    assert_equal :block, error.decision.action
    assert_equal "side_effect_limit_exceeded", error.decision.reason
    assert_kind_of AuraGuard::Error, error
  end

  def test_rewrite_raises_denied_with_the_text_for_the_model
    g = guard(max_calls_per_tool: 1)
    g.run("get_order", order_id: 1) { "one" }
    error = assert_raises(AuraGuard::Denied) { g.run("get_order", order_id: 2) { flunk "executed" } }
    assert_predicate error.decision, :rewrite?
    assert_equal "max_calls_per_tool", error.decision.reason
    refute_empty error.decision.injected_system
  end

  def test_escalate_raises_denied_with_the_packet
    g = guard(max_cost_per_run: 0.05)
    g.run("get_order", order_id: 1) { "one" }
    error = assert_raises(AuraGuard::Denied) { g.run("get_order", order_id: 2) { flunk "executed" } }
    assert_predicate error.decision, :escalate?
    assert_includes error.decision.escalation_packet[:tags], "budget_exceeded"
  end

  # A tool never gets :finalize (only assistant output does), so the other
  # refusal a policy produces is covered here: a human-approval escalation.
  def test_a_policy_requiring_a_human_raises_denied_before_executing
    g = guard(tool_policies: { "close_account" => { access: "human" } })
    error = assert_raises(AuraGuard::Denied) { g.run("close_account", id: 1) { flunk "executed" } }
    assert_equal :escalate, error.decision.action
    assert_equal "policy_human_approval_required", error.decision.reason
    assert_match(/close_account/, error.message)
  end

  def test_a_denied_policy_raises_denied_with_a_block
    g = guard(tool_policies: { "close_account" => { access: "deny" } })
    error = assert_raises(AuraGuard::Denied) { g.run("close_account", id: 1) { flunk "executed" } }
    assert_equal :block, error.decision.action
    assert_match(/\Apolicy_deny/, error.decision.reason)
  end

  def test_an_unclassified_exception_is_recorded_as_error_and_re_raised
    # Quarantining on "error" shows that this was the recorded code.
    g = guard(quarantine_error_codes: ["error"])
    2.times do |i|
      assert_raises(LookupFailed) { g.run("lookup", id: i) { raise LookupFailed } }
    end
    stats = g.stats
    assert_equal 2, stats[:tool_calls_failed]
    assert_equal 0, stats[:pending_calls]
    assert_equal "tool_quarantined:error_retry:error", g.check_tool("lookup", { id: 9 }).reason
  end

  def test_arguments_named_like_options_can_be_passed_as_a_hash
    g = guard(side_effect_tools: ["refund"])
    g.run("refund", { ticket_id: "inside-args" }, ticket_id: "T") { "ok" }
    decision = g.check_tool("refund", { ticket_id: "inside-args" }, ticket_id: "T")
    assert_equal :cache, decision.action
  end

  def test_a_payload_the_library_cannot_store_still_records_the_call
    g = guard(max_json_bytes: 4096)
    value = g.run("get_document", id: 1) { "x" * 10_000 }
    assert_equal 10_000, value.size
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_run_needs_a_block
    assert_raises(ArgumentError) { guard.run("get_order", order_id: 1) }
  end

  def test_run_needs_hash_arguments
    error = assert_raises(AuraGuard::InvalidArgumentError) { guard.run("get_order", [1]) { flunk "executed" } }
    assert_match(/must be a Hash, a String of JSON text or RawJSON, got Array/, error.message)
  end

  def test_run_takes_arguments_as_json_text
    g = guard
    assert_equal "shipped", g.run("get_order", '{"order_id":"A"}') { "shipped" }
    assert_equal "shipped", g.run("get_order", %({ "order_id": "A" })) { "shipped" }
    assert_equal "shipped", g.run("get_order", '{"order_id":"A"}') { flunk "executed a third time" }
    assert_equal 2, g.stats[:tool_calls_executed]
  end
end

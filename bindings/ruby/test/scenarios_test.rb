# frozen_string_literal: true

require_relative "test_helper"

# The engine's main protections, seen through the Ruby API.
class ScenariosTest < Minitest::Test
  def test_double_refund_is_replayed_for_the_same_ticket_and_blocked_for_another
    g = guard
    first = g.check_tool("refund", { order_id: "A" }, ticket_id: "T")
    assert_predicate first, :allow?
    assert_match(/\A\h{32}\z/, first.idempotency_key)
    g.record_result(ok: true, payload: { refund_id: "R-1" }, call_id: first.call_id)

    again = g.check_tool("refund", { order_id: "A" }, ticket_id: "T")
    assert_equal :cache, again.action
    assert_equal "idempotent_replay", again.reason
    assert_equal true, again.cached_result[:cached]
    assert_equal({ refund_id: "R-1" }, again.cached_result[:payload])

    other = g.check_tool("refund", { order_id: "A" }, ticket_id: "T2")
    assert_equal :block, other.action
    assert_equal "side_effect_limit_exceeded", other.reason
    assert_equal 1, g.stats[:tool_calls_executed]
  end

  def test_jitter_loop_is_rewritten_then_the_tool_is_quarantined
    g = guard
    queries = ["refund policy", "refund policy EU", "refund policy EU Germany"]
    queries.each { |q| assert_predicate check_and_record(g, "search_kb", { query: q }), :allow? }

    fourth = g.check_tool("search_kb", { query: "refund policy Germany 2024" })
    assert_equal :rewrite, fourth.action
    assert_equal "arg_jitter_loop", fourth.reason
    refute_empty fourth.injected_system

    after = g.check_tool("search_kb", { query: "shipping times" })
    assert_equal :rewrite, after.action
    assert_equal "tool_quarantined:arg_jitter_loop", after.reason
    assert_includes g.stats[:quarantined_tools].keys, :search_kb
  end

  def test_budget_escalates_before_the_call_that_would_exceed_it
    g = guard(max_cost_per_run: 0.10)
    2.times { |i| assert_predicate check_and_record(g, "get_order", { order_id: i }), :allow? }

    third = g.check_tool("get_order", { order_id: 2 })
    assert_equal :escalate, third.action
    assert_equal "cost_budget_exceeded", third.reason
    assert_equal ["budget_exceeded"], third.escalation_packet[:tags]
    assert_in_delta 0.08, g.stats[:cost_spent_usd], 1e-9
  end

  def test_identical_repeat_is_served_from_cache_once_recorded
    g = guard
    2.times { check_and_record(g, "get_order", { order_id: 7 }, payload: { status: "shipped" }) }
    third = g.check_tool("get_order", { order_id: 7 })
    assert_equal :cache, third.action
    assert_equal "identical_toolcall_loop_cache", third.reason
    assert_equal({ status: "shipped" }, third.cached_result[:payload])
  end

  def test_repeated_5xx_failures_quarantine_the_tool
    g = guard
    2.times do |i|
      decision = g.check_tool("lookup", { id: i })
      g.record_result(ok: false, error_code: 503, call_id: decision.call_id)
    end
    decision = g.check_tool("lookup", { id: 9 })
    assert_equal "tool_quarantined:error_retry:5xx", decision.reason
    assert_equal 2, g.stats[:tool_calls_failed]
  end

  def test_stall_is_rewritten_and_a_forced_outcome_escalates
    g = guard
    stall = "I'm sorry for the delay, I'm still checking."
    assert_nil g.check_output(stall)
    rewrite = g.check_output(stall)
    assert_equal :rewrite, rewrite.action
    assert_equal "no_state_change_loop", rewrite.reason

    outcome = g.check_output('{"action":"escalate","reason":"need order id"}')
    assert_equal :escalate, outcome.action
    assert_equal "forced_escalate:need order id", outcome.reason
  end

  def test_a_forced_finalize_carries_the_drafted_reply
    g = guard
    stall = "I'm sorry for the delay, I'm still checking."
    2.times { g.check_output(stall) }
    outcome = g.check_output('{"action":"finalize","reason":"resolved","reply_draft":"Your refund is on its way."}')
    assert_predicate outcome, :finalize?
    assert_equal "forced_finalize:resolved", outcome.reason
    assert_equal "Your refund is on its way.", outcome.finalized_output[:reply_draft]
  end

  def test_a_non_json_reply_after_the_rewrite_is_escalated
    g = guard
    stall = "I'm sorry for the delay, I'm still checking."
    2.times { g.check_output(stall) }
    assert_equal "stall_noncompliant_forced_outcome", g.check_output("still looking, one moment").reason
  end

  def test_tokens_are_priced_or_taken_as_given
    g = guard
    g.record_tokens(input_tokens: 1000, output_tokens: 1000)
    assert_in_delta 0.018, g.stats[:reported_token_cost_usd], 1e-9
    g.record_tokens(input_tokens: 0, output_tokens: 0, cost_override: 0.5)
    assert_in_delta 0.518, g.stats[:reported_token_cost_usd], 1e-9
  end

  def test_shadow_mode_allows_what_it_would_deny_and_counts_it
    g = AuraGuard::Guard.new(shadow_mode: true, side_effect_tools: ["refund"])
    check_and_record(g, "refund", { order_id: "A" }, ticket_id: "T")
    second = g.check_tool("refund", { order_id: "A" }, ticket_id: "T2")
    assert_predicate second, :shadow_allow?
    refute_nil second.call_id
    assert_equal 1, g.stats[:shadow_would_deny]
  ensure
    g&.close
  end

  def test_report_comes_as_text_and_as_data
    g = guard
    check_and_record(g, "refund", { order_id: "A" }, ticket_id: "T")
    g.check_tool("refund", { order_id: "A" }, ticket_id: "T2")
    assert_includes g.report, "side_effect_limit_exceeded"
    data = g.report_data
    assert_equal 1, data[:stats][:blocks]
    assert_equal({ attempted: 2, executed: 1 }, data[:side_effects][:refund])
  end

  def test_reset_starts_a_new_run
    g = guard
    check_and_record(g, "get_order", { order_id: 1 })
    run_id = g.stats[:run_id]
    g.reset
    assert_equal 0, g.stats[:tool_calls_executed]
    refute_equal run_id, g.stats[:run_id]
  end
end

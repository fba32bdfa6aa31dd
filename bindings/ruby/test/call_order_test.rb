# frozen_string_literal: true

require_relative "test_helper"

# Strict mode, missed results and parallel calls identified by call_id.
class CallOrderTest < Minitest::Test
  def test_strict_mode_refuses_a_check_while_a_result_is_awaited
    g = guard(strict_mode: true)
    first = g.check_tool("get_order", { order_id: 1 })
    error = assert_raises(AuraGuard::MisuseError) { g.check_tool("get_order", { order_id: 2 }) }
    assert_equal :misuse, error.status
    assert_match(/record_result/, error.message)

    g.record_result(ok: true, call_id: first.call_id)
    assert_predicate g.check_tool("get_order", { order_id: 2 }), :allow?
  end

  def test_strict_mode_refuses_a_result_nobody_awaits
    g = guard(strict_mode: true)
    assert_raises(AuraGuard::MisuseError) { g.record_result(ok: true) }
  end

  def test_without_strict_mode_a_skipped_result_is_counted_as_missed
    g = guard
    g.check_tool("get_order", { order_id: 1 })
    g.check_tool("get_order", { order_id: 2 })
    assert_equal 1, g.stats[:missed_results]
  end

  def test_parallel_calls_are_recorded_by_call_id_in_any_order
    g = guard(max_pending_calls: 3, strict_mode: true)
    decisions = (1..3).map { |i| g.check_tool("get_order", { order_id: i }) }
    ids = decisions.map(&:call_id)
    assert_equal ids.uniq, ids
    assert_equal 3, g.stats[:pending_calls]

    g.record_result(ok: true, payload: "third", call_id: ids[2])
    g.record_result(ok: false, error_code: "timeout", call_id: ids[0])
    g.record_result(ok: true, payload: "second", call_id: ids[1])
    stats = g.stats
    assert_equal 0, stats[:pending_calls]
    assert_equal 2, stats[:tool_calls_executed] - stats[:tool_calls_failed]
    assert_equal 1, stats[:tool_calls_failed]
  end

  def test_a_call_id_recorded_twice_or_never_issued_is_an_invalid_argument
    g = guard(max_pending_calls: 2)
    decision = g.check_tool("get_order", { order_id: 1 })
    g.record_result(ok: true, call_id: decision.call_id)
    error = assert_raises(AuraGuard::InvalidArgumentError) { g.record_result(ok: true, call_id: decision.call_id) }
    assert_match(/call_id #{decision.call_id}/, error.message)
    assert_raises(AuraGuard::InvalidArgumentError) { g.record_result(ok: true, call_id: 424_242) }
  end
end

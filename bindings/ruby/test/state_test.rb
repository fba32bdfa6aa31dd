# frozen_string_literal: true

require "json"
require_relative "test_helper"

# Saving a run and restoring it into another guard.
class StateTest < Minitest::Test
  def refunded_guard
    g = guard
    check_and_record(g, "refund", { order_id: "A" }, ticket_id: "T", payload: { refund_id: "R-1" })
    g
  end

  def test_a_duplicate_refund_is_still_caught_after_restoring_into_a_new_guard
    state = refunded_guard.save_state
    restored = guard
    restored.load_state(state)

    assert_equal :cache, restored.check_tool("refund", { order_id: "A" }, ticket_id: "T").action
    assert_equal :block, restored.check_tool("refund", { order_id: "A" }, ticket_id: "T2").action
  end

  def test_the_state_holds_no_raw_arguments_or_payloads
    state = refunded_guard.save_state
    refute_includes state, "R-1"
    refute_includes state, "\"A\""
  end

  def test_a_tampered_state_raises_state_error_and_leaves_the_guard_unchanged
    data = JSON.parse(refunded_guard.save_state)
    data["body"]["counters"]["tool_calls_executed"] = 0
    target = guard
    check_and_record(target, "get_order", { order_id: 1 })

    error = assert_raises(AuraGuard::StateError) { target.load_state(JSON.generate(data)) }
    assert_equal :state, error.status
    refute_empty error.message
    assert_equal 1, target.stats[:tool_calls_executed]
  end

  def test_a_state_saved_under_another_key_is_refused
    state = refunded_guard.save_state
    other = AuraGuard::Guard.new(secret_key: "another-key")
    assert_raises(AuraGuard::StateError) { other.load_state(state) }
  ensure
    other&.close
  end

  def test_text_that_is_not_a_state_is_refused
    assert_raises(AuraGuard::StateError) { guard.load_state("not json") }
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# Creating, closing and identifying guards.
class LifecycleTest < Minitest::Test
  def test_the_gem_version_is_the_native_version
    assert_equal AuraGuard.native_version, AuraGuard::VERSION
  end

  def test_close_is_safe_twice_and_later_use_raises_closed_error
    g = AuraGuard::Guard.new(secret_key: SECRET)
    g.close
    g.close
    assert_predicate g, :closed?
    %i[stats report report_data save_state reset].each do |method|
      assert_raises(AuraGuard::ClosedError, method) { g.public_send(method) }
    end
    error = assert_raises(AuraGuard::ClosedError) { g.check_tool("get_order", { order_id: 1 }) }
    assert_kind_of AuraGuard::Error, error
    assert_raises(AuraGuard::ClosedError) { g.record_result(ok: true) }
    assert_raises(AuraGuard::ClosedError) { g.on_event { nil } }
    assert_raises(AuraGuard::ClosedError) { g.run("get_order", order_id: 1) { flunk "executed" } }
  end

  def test_open_with_a_block_closes_the_guard
    kept = AuraGuard::Guard.open(secret_key: SECRET) do |g|
      assert_predicate g.check_tool("get_order", { order_id: 1 }), :allow?
      g
    end
    assert_predicate kept, :closed?
  end

  def test_from_json_builds_a_guard_from_a_configuration_document
    g = AuraGuard::Guard.from_json(%({"secret_key": "#{SECRET}", "max_calls_per_tool": 1}))
    check_and_record(g, "get_order", { order_id: 1 })
    assert_equal "max_calls_per_tool", g.check_tool("get_order", { order_id: 2 }).reason
  ensure
    g&.close
  end

  def test_from_json_reports_malformed_json
    assert_raises(AuraGuard::Error) { AuraGuard::Guard.from_json("{not json") }
    assert_raises(AuraGuard::InvalidArgumentError) { AuraGuard::Guard.from_json(nil) }
  end

  def test_unclosed_guards_are_released_by_the_garbage_collector
    50.times { AuraGuard::Guard.new(secret_key: SECRET).on_event { nil } }
    GC.start(full_mark: true, immediate_sweep: true)
    assert_predicate guard.check_tool("get_order", { order_id: 1 }), :allow?
  end

  def test_a_decision_is_frozen_through_and_through
    g = guard
    check_and_record(g, "refund", { order_id: "A" }, ticket_id: "T", payload: { items: [1, 2] })
    decision = g.check_tool("refund", { order_id: "A" }, ticket_id: "T")
    assert_predicate decision, :frozen?
    assert_predicate decision.cached_result, :frozen?
    assert_predicate decision.cached_result[:payload][:items], :frozen?
    assert_raises(FrozenError) { decision.cached_result[:payload][:items] << 3 }
    assert_equal decision.to_h[:reason], decision.reason
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# A result whose payload cannot be kept is booked all the same: the refund is
# never re-allowed, its replay says the payload was not kept, stats count it.
class PayloadKeptTest < Minitest::Test
  def test_a_result_too_large_to_keep_is_booked_and_its_replay_says_so
    g = guard(max_json_bytes: 1024)
    d = g.check_tool("refund", { order_id: "A" }, ticket_id: "T-1")
    assert d.allow?
    g.record_result(ok: true, payload: { receipt: "x" * 4096 }, call_id: d.call_id)
    again = g.check_tool("refund", { order_id: "A" }, ticket_id: "T-1")
    assert_equal [:cache, "idempotent_replay"], [again.action, again.reason]
    assert_equal false, again.cached_result[:payload_kept]
    assert_nil again.cached_result[:payload]
    assert_equal true, again.cached_result[:ok]
    stats = g.stats
    assert_equal [1, 1, 0], stats.values_at(:payloads_not_kept, :tool_calls_executed, :ledger_errors)
  end

  def test_a_kept_payload_says_so
    g = guard
    3.times do
      d = g.check_tool("get_order", { order_id: "B" })
      next assert_equal(true, d.cached_result[:payload_kept]) if d.cache?

      g.record_result(ok: true, payload: { status: "ok" }, call_id: d.call_id)
    end
    assert_equal 0, g.stats[:payloads_not_kept]
  end
end

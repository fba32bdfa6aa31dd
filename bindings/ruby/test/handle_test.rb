# frozen_string_literal: true

require_relative "test_helper"

# The handle counts calls without a lock, by lending each call a scratch
# block: a guard closed while a call is in flight is freed when that call
# ends, never under it, and no call starts after #close.
class HandleTest < Minitest::Test
  def handle_of(guard)
    guard.instance_variable_get(:@handle)
  end

  def stats_through(pointer)
    JSON.parse(AuraGuard::NativeCall.string_out(:auraguard_stats_json, pointer))
  end

  def test_a_close_during_a_call_frees_the_guard_when_the_call_ends
    g = AuraGuard::Guard.new(secret_key: SECRET)
    check_and_record(g, "get_order", { order_id: 1 })
    handle = handle_of(g)
    handle.use do |pointer|
      g.close
      assert_predicate g, :closed?
      assert_raises(AuraGuard::ClosedError) { g.check_tool("get_order", { order_id: 2 }) }
      # Still the guard: the call in flight may go on using it.
      assert_equal 1, stats_through(pointer)["tool_calls_executed"]
      assert_same pointer, handle.instance_variable_get(:@pointer)
    end
    assert_nil handle.instance_variable_get(:@pointer)
    assert_raises(AuraGuard::ClosedError) { handle.use { flunk "a call after close started" } }
  end

  def test_calls_inside_calls_each_get_a_block_and_all_are_given_back
    g = guard
    handle = handle_of(g)
    nest = lambda do |level|
      handle.use do
        nest.call(level + 1) if level < 3
        assert_predicate check_and_record(g, "get_order", { order_id: level }), :allow?
      end
    end
    nest.call(1)
    made = handle.instance_variable_get(:@made)
    assert_equal 4, made # three nested calls, and one for the check and record inside them
    assert_equal made, handle.instance_variable_get(:@idle).size
    assert_predicate g.check_tool("get_order", { order_id: 9 }), :allow?
    assert_equal made, handle.instance_variable_get(:@made)
  end

  def test_threads_calling_while_another_closes_end_with_closed_error
    g = AuraGuard::Guard.new(secret_key: SECRET, max_pending_calls: 4)
    started = Queue.new
    workers = Array.new(4) do |t|
      Thread.new do
        calls = 0
        begin
          loop do
            check_and_record(g, "get_order", { order_id: "#{t}-#{calls += 1}" })
            started << t if calls == 5
          end
        rescue AuraGuard::ClosedError
          calls
        end
      end
    end
    4.times { started.pop }
    g.close
    assert(workers.map(&:value).all? { |calls| calls >= 5 })
    assert_nil handle_of(g).instance_variable_get(:@pointer)
  end

  def test_close_frees_the_guard_with_every_block_made_for_it
    g = guard
    handle = handle_of(g)
    release = handle.instance_variable_get(:@release)
    nest = lambda do |level|
      handle.use { level < 3 ? nest.call(level + 1) : check_and_record(g, "get_order", { order_id: level }) }
    end
    nest.call(1)
    blocks = release.instance_variable_get(:@blocks)
    assert_equal handle.instance_variable_get(:@made), blocks.size
    refute_predicate release, :released?
    g.close
    assert_predicate release, :released?
    assert_empty blocks
  end

  def test_unclosed_guards_are_freed_by_the_collector_with_their_blocks
    releases = make_unreferenced_guards(50)
    3.times do
      GC.start(full_mark: true, immediate_sweep: true)
      Thread.pass
    end
    freed = releases.count(&:released?)
    # The collector is conservative: a guard still named by a stale stack
    # slot may survive, but not most of them.
    assert_operator freed, :>=, 40, "#{freed} of 50 unclosed guards were freed"
  end

  def make_unreferenced_guards(count)
    Array.new(count) do |i|
      g = AuraGuard::Guard.new(secret_key: SECRET, max_pending_calls: 2)
      check_and_record(g, "get_order", { order_id: i })
      handle_of(g).instance_variable_get(:@release)
    end
  end

  def test_a_failed_call_gives_its_block_back
    g = guard
    handle = handle_of(g)
    assert_predicate g.check_tool("get_order", { order_id: 1 }), :allow?
    5.times { assert_raises(AuraGuard::InvalidArgumentError) { g.record_result(ok: true, call_id: 424_242) } }
    assert_equal handle.instance_variable_get(:@made), handle.instance_variable_get(:@idle).size
    # The error slot is clear again: the next failure reports its own message.
    error = assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool("get_order", AuraGuard::RawJSON.new("[1]")) }
    refute_match(/424242/, error.message)
  end
end

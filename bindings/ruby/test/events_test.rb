# frozen_string_literal: true

require_relative "test_helper"

# Event delivery through a Ruby block.
class EventsTest < Minitest::Test
  def test_interventions_and_costs_arrive_without_raw_arguments
    g = guard
    events = []
    g.on_event { |event| events << event }
    check_and_record(g, "refund", { order_id: "ORDER-SECRET-42" }, ticket_id: "TICKET-SECRET", payload: "PAYLOAD-SECRET")
    g.check_tool("refund", { order_id: "ORDER-SECRET-42" }, ticket_id: "TICKET-SECRET-2")

    kinds = events.map { |e| e[:event] }
    assert_includes kinds, "cost"
    intervention = events.find { |e| e[:event] == "intervention" }
    assert_equal "refund", intervention[:tool]
    assert_equal "side_effect_limit_exceeded", intervention[:reason]
    assert_predicate intervention, :frozen?
    dump = events.inspect
    %w[ORDER-SECRET TICKET-SECRET PAYLOAD-SECRET].each { |secret| refute_includes dump, secret }
  end

  def test_the_callback_survives_garbage_collection
    g = guard
    count = register_counter(g)
    GC.start(full_mark: true, immediate_sweep: true)
    GC.compact if GC.respond_to?(:compact)
    3.times { |i| check_and_record(g, "get_order", { order_id: i }) }
    assert_equal 3, count.call
  end

  def test_an_exception_in_the_block_surfaces_after_the_native_call_returns
    g = guard
    later = []
    g.on_event do |event|
      later << event
      raise "handler bug" if later.size == 1
    end
    decision = g.check_tool("get_order", { order_id: 1 })
    error = assert_raises(RuntimeError) { g.record_result(ok: true, call_id: decision.call_id) }
    assert_equal "handler bug", error.message
    # The result was recorded inside the library before the block ran.
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_a_non_standard_exception_is_raised_after_the_native_call_returns
    g = guard
    g.on_event { |_event| raise Interrupt }
    decision = g.check_tool("get_order", { order_id: 1 })
    assert_raises(Interrupt) { g.record_result(ok: true, call_id: decision.call_id) }
    g.on_event
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_throw_from_the_block_never_crosses_the_library
    g = guard
    g.on_event { |_event| throw :stop_listening }
    decision = g.check_tool("get_order", { order_id: 1 })
    caught = catch(:stop_listening) do
      g.record_result(ok: true, call_id: decision.call_id)
      :not_thrown
    end
    assert_nil caught
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_thread_kill_from_the_block_leaves_the_guard_usable
    g = guard
    g.on_event { |_event| Thread.current.kill }
    worker = Thread.new do
      decision = g.check_tool("get_order", { order_id: 1 })
      g.record_result(ok: true, call_id: decision.call_id)
      :finished
    end
    assert_nil worker.value # killed, inside the block, after the native call
    g.on_event
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_predicate g.check_tool("get_order", { order_id: 2 }), :allow?
  end

  def test_a_raising_block_in_run_surfaces_once_the_call_is_recorded
    g = guard
    g.on_event { |_event| raise "handler bug" }
    ran = 0
    assert_raises(RuntimeError) { g.run("get_order", order_id: 1) { ran += 1 } }
    assert_equal 1, ran
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_throw_from_the_block_in_run_lands_after_the_record
    g = guard
    g.on_event { |_event| throw :done }
    ran = 0
    catch(:done) { g.run("get_order", order_id: 1) { ran += 1 } }
    assert_equal 1, ran
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
    assert_predicate g.check_tool("get_order", { order_id: 2 }), :allow?
  end

  def test_replacing_the_block_from_many_threads_never_blocks
    g = guard(concurrency: 4)
    seen = Queue.new
    handler = proc { |_event| seen << 1; g.on_event(&handler) }
    threads = 4.times.map do |w|
      Thread.new do
        200.times do |i|
          if w.even?
            g.on_event(&handler)
            g.on_event
          end
          g.run("get_order", order_id: "#{w}-#{i}") { i }
        end
      end
    end
    threads.each { |t| assert t.join(120), "a thread is stuck" }
    last = []
    g.on_event { |event| last << event }
    check_and_record(g, "get_order", { order_id: "last" })
    assert_equal 1, last.size
    assert_equal 801, g.stats[:tool_calls_executed]
  end

  def test_the_block_may_call_back_into_the_guard
    g = guard
    seen = []
    g.on_event { |_event| seen << g.stats[:tool_calls_executed] }
    check_and_record(g, "get_order", { order_id: 1 })
    refute_empty seen
  end

  def test_on_event_without_a_block_stops_delivery
    g = guard
    events = []
    g.on_event { |event| events << event }
    g.on_event
    check_and_record(g, "get_order", { order_id: 1 })
    assert_empty events
  end

  def test_closing_from_inside_the_block_takes_effect_after_the_call
    g = guard
    g.on_event { |_event| g.close }
    decision = g.check_tool("get_order", { order_id: 1 })
    g.record_result(ok: true, call_id: decision.call_id)
    assert_predicate g, :closed?
    assert_raises(AuraGuard::ClosedError) { g.stats }
  end

  private

  # Registers a block whose only reference is the guard's, and returns a
  # reader for its count.
  def register_counter(g)
    count = 0
    g.on_event { |event| count += 1 if event[:kind] == "tool_call" }
    -> { count }
  end
end

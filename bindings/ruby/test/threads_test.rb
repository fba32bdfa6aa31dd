# frozen_string_literal: true

require_relative "test_helper"

# One guard shared by several Ruby threads: every decision a thread saw must
# be reflected exactly once in the guard's counters.
class ThreadsTest < Minitest::Test
  THREADS = 8
  CALLS = 60

  # A guard makes its event and run locks on first use: threads that ask
  # for one at the same moment must all get the same lock, or a run's count
  # of calls in flight would go unguarded. Mutex.new yields to the other
  # threads here, so that they ask while the first lock is being made.
  def test_threads_asking_for_a_lock_at_once_all_get_the_same_one
    %i[run_lock event_lock].each do |lock|
      g = guard
      make = Mutex.method(:new)
      made = Queue.new
      start = Queue.new
      locks = Mutex.stub(:new, -> { Thread.pass; make.call.tap { |m| made << m } }) do
        threads = Array.new(THREADS) { Thread.new { start.pop; g.send(lock) } }
        THREADS.times { start << true }
        threads.map(&:value)
      end
      assert_equal 1, locks.uniq(&:object_id).size, "#{lock}: threads got different locks"
      assert_equal 1, made.size, "#{lock}: made more than once"
      g.close
    end
  end

  def test_eight_threads_share_a_guard_and_the_counters_add_up
    g = guard(max_pending_calls: THREADS, max_calls_per_tool: THREADS * CALLS)
    events = Queue.new
    g.on_event { |event| events << event[:event] }

    seen = Array.new(THREADS) { Hash.new(0) }
    refunds = Array.new(THREADS) { Hash.new(0) }
    workers = Array.new(THREADS) do |t|
      Thread.new do
        CALLS.times do |i|
          # Reads come in runs of three identical calls, so the third may be
          # served from cache; every tenth call is the same refund, which the
          # guard must let execute exactly once across all threads.
          tool, args = i % 10 == 9 ? ["refund", { order_id: "R" }] : ["get_order", { order_id: "#{t}-#{i / 3}" }]
          decision = g.check_tool(tool, args, ticket_id: "T-#{t}")
          seen[t][decision.action] += 1
          refunds[t][decision.action] += 1 if tool == "refund"
          g.record_result(ok: true, payload: args, call_id: decision.call_id) if decision.allow?
          Thread.pass
        end
      end
    end
    workers.each(&:join)

    totals = seen.each_with_object(Hash.new(0)) { |counts, sum| counts.each { |k, v| sum[k] += v } }
    stats = g.stats
    assert_equal THREADS * CALLS, totals.values.sum
    assert_operator totals[:allow], :>, 0
    assert_equal 1, refunds.sum { |counts| counts[:allow] }
    assert_equal THREADS * (CALLS / 10) - 1, refunds.sum { |counts| counts[:block] + counts[:cache] }
    # A replay for the ticket that already refunded never reaches the
    # side-effect gate, so only the allowed and the blocked ones are attempts.
    attempts = refunds.sum { |counts| counts[:allow] + counts[:block] }
    assert_equal({ attempted: attempts, executed: 1 }, g.report_data[:side_effects][:refund])
    assert_equal totals[:allow], stats[:tool_calls_executed]
    assert_equal totals[:cache], stats[:tool_calls_cached]
    assert_equal totals[:block], stats[:blocks]
    assert_equal totals[:rewrite], stats[:rewrite_decisions]
    assert_equal THREADS * CALLS - totals[:allow], stats[:tool_calls_denied]
    assert_equal 0, stats[:pending_calls]
    assert_equal 0, stats[:missed_results]
    assert_in_delta 0.04 * totals[:allow], stats[:cost_spent_usd], 1e-6
    assert_equal totals[:allow], events.size.times.map { events.pop }.count("cost")
  end

  def test_replacing_the_event_block_while_other_threads_call_is_safe
    g = guard(max_pending_calls: 4)
    delivered = Queue.new
    g.on_event { |event| delivered << [-1, event[:kind]] }
    callers = Array.new(4) do |t|
      Thread.new do
        200.times { |i| check_and_record(g, "get_order", { order_id: "#{t}-#{i}" }) }
      end
    end
    replacers = Array.new(2) do
      Thread.new do
        300.times do |i|
          g.on_event { |event| delivered << [i, event[:kind]] }
          GC.start if (i % 50).zero? # collect replaced blocks while calls run
          Thread.pass
        end
      end
    end
    (callers + replacers).each(&:join)
    assert_equal 800, g.stats[:tool_calls_executed]
    # Some block is registered at every moment, so each call's cost event is
    # delivered exactly once, whichever block received it.
    kinds = Array.new(delivered.size) { delivered.pop[1] }
    assert_equal 800, kinds.count("tool_call")
  end

  def test_closing_while_other_threads_call_ends_their_calls_with_closed_error
    g = AuraGuard::Guard.new(secret_key: SECRET, max_pending_calls: 4)
    g.on_event { |_event| Thread.pass }
    outcomes = Queue.new
    workers = Array.new(4) do |t|
      Thread.new do
        i = 0
        loop do
          check_and_record(g, "get_order", { order_id: "#{t}-#{i += 1}" })
        rescue AuraGuard::ClosedError
          outcomes << :closed
          break
        end
      end
    end
    sleep 0.01 until g.stats[:tool_calls_executed] >= 20 || workers.none?(&:alive?)
    g.close
    workers.each(&:join)
    assert_equal [:closed] * 4, Array.new(4) { outcomes.pop }
  end
end

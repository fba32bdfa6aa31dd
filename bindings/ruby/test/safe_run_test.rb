# frozen_string_literal: true

require_relative "test_helper"
require_relative "loopback"

# Guard#run's safe defaults: Ruby's failures classified, side effects never
# repeated, outcomes kept when they cannot be recorded, threads honoured.
class SafeRunTest < Minitest::Test
  def failure_of
    yield
    flunk "the call did not fail"
  rescue StandardError => e
    e
  end

  def test_ruby_failures_map_to_the_guards_classes
    hanging = LoopbackServer.new
    unavailable = LoopbackServer.new(503)
    limited = LoopbackServer.new(429)
    status_error = Class.new(StandardError) { def status = 502 }
    cases = {
      failure_of { post(hanging.port, read_timeout: 0.1) } => "timeout (unknown)",
      failure_of { post(LoopbackServer.closed_port) } => "connection_error (not_executed)",
      failure_of { post(unavailable.port) } => "503 (not_executed)",
      failure_of { post(limited.port) } => "429 (not_executed)",
      failure_of { TCPSocket.new("nowhere.invalid", 80) } => "connection_error (not_executed)",
      Errno::ECONNRESET.new => "connection_error (unknown)",
      Net::OpenTimeout.new => "timeout (not_executed)",
      Timeout::Error.new => "timeout (unknown)",
      status_error.new => "502 (not_executed)",
      AuraGuard::ToolFailed.new("queue full", error_code: "timeout", side_effect_executed: false) =>
        "timeout (not_executed)",
      failure_of { begin; raise Errno::ECONNREFUSED; rescue StandardError; raise "wrapped"; end } =>
        "connection_error (not_executed)",
      RuntimeError.new("boom") => "error (unknown)"
    }
    cases.each do |error, want|
      assert_equal want, AuraGuard::ErrorClassifier.classify(error).to_s, "#{error.class}: #{error.message}"
    end
  ensure
    [hanging, unavailable, limited].each { |s| s&.close }
  end

  def test_each_mapped_failure_quarantines_the_tool_after_the_threshold
    servers = { "429" => LoopbackServer.new(429), "5xx" => LoopbackServer.new(502),
                "401" => LoopbackServer.new(401), "403" => LoopbackServer.new(403),
                "timeout" => LoopbackServer.new }
    ports = servers.transform_values(&:port).merge("connection_error" => LoopbackServer.closed_port)
    ports.each do |klass, port|
      g = guard
      2.times do |i|
        assert_raises(StandardError, klass) { g.run("fetch", page: i) { post(port, read_timeout: 0.1) } }
      end
      error = assert_raises(AuraGuard::Denied, klass) { g.run("fetch", page: 9) { flunk "ran" } }
      assert_equal "tool_quarantined:error_retry:#{klass}", error.decision.reason
    end
  ensure
    servers&.each_value(&:close)
  end

  def test_a_timed_out_refund_executes_once_across_retries
    server = LoopbackServer.new
    g = guard
    outcomes = 3.times.map do
      g.run("refund", { order_id: "A" }, ticket_id: "T-1") { post(server.port, "/refund", read_timeout: 0.5) }
    rescue Net::ReadTimeout
      :timed_out
    rescue AuraGuard::Denied => e
      e.decision.cached_result[:error_code]
    end
    assert_equal [:timed_out, "timeout", "timeout"], outcomes
    assert_equal 1, server.requests
    assert_equal 1, g.stats[:tool_calls_executed]
  ensure
    server&.close
  end

  def test_a_tool_may_say_it_did_not_execute
    g = guard
    attempts = 0
    2.times do
      g.run("refund", { order_id: "A" }, ticket_id: "T-1") do
        attempts += 1
        raise AuraGuard::ToolFailed.new("queue full", error_code: "timeout", side_effect_executed: false) if attempts == 1

        "refunded"
      end
    rescue AuraGuard::ToolFailed
      nil
    end
    assert_equal 2, attempts
  end

  def test_a_block_left_by_throw_or_kill_is_recorded_as_cancelled
    g = guard(side_effect_max_executed_per_run: 5)
    refunds = 0
    catch(:give_up) { g.run("refund", { order_id: "A" }, ticket_id: "T-1") { refunds += 1; throw :give_up } }
    worker = Thread.new { g.run("refund", { order_id: "B" }, ticket_id: "T-1") { refunds += 1; Thread.current.kill } }
    worker.join
    assert_equal 0, g.stats[:pending_calls]
    %w[A B].each do |order|
      error = assert_raises(AuraGuard::Denied) { g.run("refund", { order_id: order }, ticket_id: "T-1") { refunds += 1 } }
      assert_equal "cancelled", error.decision.cached_result[:error_code]
    end
    assert_equal 2, refunds
  end

  def test_the_classifier_can_be_replaced
    g = guard
    quota = Class.new(StandardError)
    g.error_classifier = lambda do |error|
      error.is_a?(quota) ? AuraGuard::Failure.new("429", :not_executed) : AuraGuard::ErrorClassifier.classify(error)
    end
    2.times { |i| assert_raises(quota) { g.run("search_kb", query: i) { raise quota } } }
    assert_equal "error_retry:429", g.stats[:quarantined_tools][:search_kb]
  end

  def test_a_value_that_cannot_be_recorded_is_still_returned_and_reported
    # A value over max_json_bytes is booked by the engine without its
    # payload: only the value that is no JSON fails to record.
    g = guard(max_json_bytes: 1024)
    events = []
    g.on_event { |event| events << event if event[:event] == "record_failed" }
    refunds = 0
    big = "7" * 2000
    assert_equal big, g.run("refund", { order_id: "A" }, ticket_id: "T") { refunds += 1; big }
    assert_equal Float::INFINITY, g.run("get_rate") { Float::INFINITY }
    assert_equal 1, g.record_failures
    assert_equal %w[get_rate], events.map { |e| e[:tool] }
    assert_equal 2, g.stats[:tool_calls_executed]
    g.run("refund", { order_id: "A" }, ticket_id: "T") { refunds += 1 }
    assert_equal 1, refunds
  end

  def test_a_replay_has_the_shape_of_the_first_call
    g = guard(side_effect_tools: ["refund"])
    first = g.run("refund", ticket_id: "T", order_id: "A") { { "refund_id" => "R-1", "lines" => [{ "sku" => 1 }] } }
    replay = g.run("refund", ticket_id: "T", order_id: "A") { flunk "ran twice" }
    assert_equal({ refund_id: "R-1", lines: [{ sku: 1 }] }, first)
    assert_equal first, replay
    assert_predicate first, :frozen?
  end

  def test_raw_json_arguments_pass_through
    g = guard
    raw = AuraGuard::RawJSON.new('{"order_id": "A", "amount": 25}')
    assert_predicate g.check_tool("get_order", raw), :allow?
    assert_equal :cache, g.run("refund", raw, ticket_id: "T") { "R-1" } && g.check_tool("refund", raw, ticket_id: "T").action
    error = assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool("get_order", AuraGuard::RawJSON.new("[1]")) }
    assert_match(/object/, error.message)
  end

  def test_threads_times_pairs_are_all_recorded
    threads, pairs = 8, 300
    g = guard(concurrency: threads, max_calls_per_tool: threads * pairs)
    ran = Queue.new
    workers = threads.times.map do |w|
      Thread.new { pairs.times { |i| g.run("lookup", key: "#{w}-#{i}") { ran << 1; i } } }
    end
    workers.each(&:join)
    stats = g.stats
    assert_equal threads * pairs, ran.size
    assert_equal threads * pairs, stats[:tool_calls_executed]
    assert_equal 0, stats[:missed_results]
  end

  def test_run_beyond_the_concurrency_is_refused_before_the_check
    g = guard
    inside = Queue.new
    release = Queue.new
    slow = Thread.new { g.run("slow") { inside << 1; release.pop; "ok" } }
    inside.pop
    error = assert_raises(AuraGuard::BusyError) { g.run("other") { flunk "ran" } }
    assert_match(/concurrency:/, error.message)
    release << 1
    assert_equal "ok", slow.value
    assert_equal 1, g.stats[:tool_calls_executed]
    assert_raises(AuraGuard::ConfigError) { guard(concurrency: 0) }
  end

  # The number of runs in flight allowed is max_pending_calls however the
  # configuration names it: a Symbol or a String key, or JSON text.
  def test_runs_in_flight_follow_max_pending_calls_however_it_is_given
    made = [
      guard(max_pending_calls: 2),
      guard(**{ "max_pending_calls" => 2 }),
      AuraGuard::Guard.from_json(%({"secret_key":"#{SECRET}","max_pending_calls":2}))
    ]
    @guards << made.last
    made.each do |g|
      inside = Queue.new
      release = Queue.new
      slow = Array.new(2) { |i| Thread.new { g.run("slow", n: i) { inside << 1; release.pop; "ok" } } }
      2.times { inside.pop }
      assert_raises(AuraGuard::BusyError) { g.run("other") { flunk "ran" } }
      2.times { release << 1 }
      assert_equal %w[ok ok], slow.map(&:value)
      assert_equal "done", g.run("after") { "done" }
    end
  end

  def test_every_string_rejects_nul
    g = guard
    [
      -> { g.check_tool("get\0order") },
      -> { g.check_tool("t", {}, ticket_id: "T\0") },
      -> { g.check_tool("t", AuraGuard::RawJSON.new("{\"a\":\"\0\"}")) },
      -> { g.check_output("hi\0there") },
      -> { g.load_state("{\0}") },
      -> { AuraGuard::Guard.from_json("{\"secret_key\":\"k\0\"}") }
    ].each { |call| assert_raises(AuraGuard::InvalidArgumentError) { call.call } }
    assert_equal 0, g.stats[:pending_calls]
  end

  def test_report_is_text_and_report_json_is_the_data
    g = guard
    check_and_record(g, "get_order", { order_id: 1 })
    assert_raises(JSON::ParserError) { JSON.parse(g.report) }
    assert_match(/tool calls executed/, g.report)
    assert_equal g.report_data, JSON.parse(g.report_json, symbolize_names: true)
    assert_equal 1, g.report_data[:stats][:tool_calls_executed]
  end
end

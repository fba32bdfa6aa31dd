# frozen_string_literal: true

require "tmpdir"
require_relative "test_helper"

# The idempotency ledger shared through a SQLite file by separate guards,
# in separate processes.
class LedgerTest < Minitest::Test
  REFUND = { order_id: "A-1", amount: 50 }.freeze

  def setup
    @dir = Dir.mktmpdir("auraguard-rb-ledger")
  end

  def teardown
    super
    FileUtils.remove_entry(@dir)
  end

  def sqlite_guard(**extra)
    guard(side_effect_tools: ["refund"], side_effect_max_executed_per_run: 100,
          ledger: AuraGuard::Ledger.sqlite(File.join(@dir, "ledger.db")),
          tool_policies: { refund: { lease_ms: 30_000 } }, **extra)
  end

  def test_forked_processes_racing_on_one_refund_execute_it_once
    executions = File.join(@dir, "executions")
    go = File.join(@dir, "go")
    readers = Array.new(8) do
      reader, writer = IO.pipe
      fork do
        reader.close
        g = AuraGuard::Guard.new(secret_key: GuardFactory::SECRET, side_effect_tools: ["refund"],
                                 ledger: AuraGuard::Ledger.sqlite(File.join(@dir, "ledger.db")))
        sleep 0.001 until File.exist?(go)
        d = g.check_tool("refund", REFUND, ticket_id: "T-1")
        if d.allow?
          File.open(executions, "a") { |f| f.puts(Process.pid) }
          g.record_result(ok: true, call_id: d.call_id)
        end
        writer.puts(d.reason)
        writer.close
        g.close
        exit!(0)
      end
      writer.close
      reader
    end
    sleep 0.3
    File.write(go, "")
    reasons = readers.map { |r| r.read.strip.tap { r.close } }
    Process.waitall
    assert_equal 1, File.readlines(executions).size, reasons.inspect
    assert_equal 1, reasons.count("allow"), reasons.inspect
    assert(reasons.all? { |r| %w[allow side_effect_in_flight idempotent_replay].include?(r) }, reasons.inspect)
  end

  def test_resolve_is_followed_by_every_guard_on_the_store
    a = sqlite_guard
    b = sqlite_guard
    held = a.check_tool("refund", REFUND, ticket_id: "T-2")
    assert_predicate held, :allow?
    assert_equal 30_000, held.lease_ms
    busy = b.check_tool("refund", REFUND, ticket_id: "T-2")
    assert_equal "side_effect_in_flight", busy.reason
    assert_operator busy.retry_after_ms, :>, 0
    b.ledger_resolve(held.idempotency_key, :executed)
    replay = a.check_tool("refund", REFUND, ticket_id: "T-2")
    assert_equal [:cache, "idempotent_replay"], [replay.action, replay.reason]
    a.ledger_resolve(held.idempotency_key, :not_executed)
    assert_predicate b.check_tool("refund", REFUND, ticket_id: "T-2"), :allow?
    assert_raises(AuraGuard::InvalidArgumentError) { a.ledger_resolve("not-a-key", :executed) }
    assert_raises(AuraGuard::InvalidArgumentError) { a.ledger_resolve(held.idempotency_key, :maybe) }
  end

  def test_typed_ledger_configuration_reaches_the_engine
    g = sqlite_guard(run_id: "job-7", ledger_on_error: AuraGuard::Ledger::FAIL_OPEN, ledger_lease_ms: 1000,
                     ledger_ttl_s: 3600, ledger_store_payload: true)
    assert_equal "job-7", g.stats[:run_id]
    assert_equal({ kind: "redis", url: "redis://127.0.0.1:6379/0", prefix: "p:" },
                 AuraGuard::Ledger.redis("redis://127.0.0.1:6379/0", prefix: "p:"))
    e = assert_raises(AuraGuard::ConfigError) do
      guard(ledger: AuraGuard::Ledger.sqlite("/nonexistent-auraguard-dir/ledger.db"))
    end
    assert_includes e.message, "/nonexistent-auraguard-dir/ledger.db"
    assert_raises(AuraGuard::ConfigError) { guard(ledger_on_error: "ignore") }
  end
end

# frozen_string_literal: true

require_relative "test_helper"

# check_tool, record_result and check_output exist twice: in C (CPath, the gem's
# extension) and through ffi (FfiPath). The same calls, the common and
# every kind of bad input, go to two guards of one configuration, one on
# each path; each answer (a decision's fields, or an error's class, status
# and message) and each guard's counters afterwards must be the same.
class HotPathTest < Minitest::Test
  CONFIG = { side_effect_tools: %w[refund], repeat_toolcall_threshold: 2, max_json_bytes: 4096 }.freeze

  class Sub < String; end

  class SubRaw < AuraGuard::RawJSON; end

  def setup
    # `make test-ruby` runs the suite once with AURAGUARD_HOT_PATH=ffi, where
    # the extension is not loaded: there is nothing to compare then.
    skip "AURAGUARD_HOT_PATH=ffi: the C path is not loaded" if ENV["AURAGUARD_HOT_PATH"] == "ffi"
    assert AuraGuard::CPath.loaded?, "the C extension did not load (make ruby-ext; AURAGUARD_RUBY_EXT_LIB)"
  end

  # Guard#check_output, which a path's (the handle's) would shadow on a
  # guard extended with the path.
  module GuardsOwnOutput
    def check_output(text)
      AuraGuard::Guard.instance_method(:check_output).bind_call(self, text)
    end
  end

  # `guard` with its check_tool and record_result, and its handle's
  # check_output, on `path`.
  def on_path(guard, path)
    guard.instance_variable_get(:@handle).extend(path)
    guard.extend(path).extend(GuardsOwnOutput)
  end

  # Two guards of one configuration and one run id (idempotency keys are
  # drawn from it): the first on the C path, the second on the ffi path.
  def pair_of_guards(**config)
    config = { run_id: "hot-path-test", **config }
    [on_path(guard(**config), AuraGuard::CPath), on_path(guard(**config), AuraGuard::FfiPath)]
  end

  # What a call gave: the decision as every reader and #to_h see it, or the
  # error as the caller sees it.
  def outcome
    d = yield
    return [:value, d] unless d.is_a?(AuraGuard::Decision)

    [:decision, d.to_h, d.frozen?, d.instance_variables,
     %i[action reason call_id idempotency_key lease_ms retry_after_ms cached_result].map { |r| d.public_send(r) }]
  rescue StandardError => e
    [:error, e.class, e.message, e.message.encoding, e.respond_to?(:status) ? e.status : nil]
  end

  # Makes the same call on both and compares what each gave and the
  # counters after it; returns the C path's outcome.
  def same(c_guard, ffi_guard, what, &call)
    got = outcome { call.call(c_guard) }
    want = outcome { call.call(ffi_guard) }
    assert_equal want, got, what
    assert_equal ffi_guard.stats, c_guard.stats, "#{what}: stats"
    got
  end

  CHECKS = {
    "plain allow" => ["get_order", '{"order_id":"A-1"}', { ticket_id: "T-1" }],
    "symbol name" => [:get_order, '{"order_id":"A-2"}', {}],
    "String subclass name" => [Sub.new("get_order"), '{"order_id":"A-3"}', {}],
    "UTF-8 name" => ["größe", "{}", {}],
    "UTF-16 name" => ["get_order".encode("UTF-16LE"), '{"order_id":"A-4"}', {}],
    "Latin-1 name" => ["gr\xFC\xDFe".dup.force_encoding("ISO-8859-1"), "{}", {}],
    "binary name, not UTF-8" => ["\xFF".b, "{}", {}],
    "NUL in the name" => ["get\0order", "{}", {}],
    "Integer name" => [42, "{}", {}],
    "nil name" => [nil, "{}", {}],
    "empty name" => ["", "{}", {}],
    "nil args" => ["list", nil, {}],
    "empty Hash args" => ["list", {}, {}],
    "Hash args" => ["get_order", { order_id: "A-5", lines: [1, 2] }, {}],
    "Hash args JSON cannot write" => ["get_order", { n: Float::NAN }, {}],
    "non-ASCII args" => ["get_order", '{"note":"ü"}', {}],
    "NUL in args" => ["get_order", "{\"a\":\"\0\"}", {}],
    "args not JSON" => ["get_order", "{", {}],
    "args not an object" => ["get_order", "[1]", {}],
    "args not UTF-8" => ["get_order", "{\"a\":\"\xFF\"}".b, {}],
    "RawJSON args" => ["get_order", AuraGuard::RawJSON.new('{"order_id":"A-6"}'), {}],
    "RawJSON non-ASCII args" => ["get_order", AuraGuard::RawJSON.new('{"order_id":"Ä-7"}'), {}],
    "RawJSON subclass args" => ["get_order", SubRaw.new('{"order_id":"A-8"}'), {}],
    "RawJSON args with NUL" => ["get_order", AuraGuard::RawJSON.new("{\"a\":\"\0\"}"), {}],
    "Integer args" => ["get_order", 5, {}],
    "non-ASCII ticket" => ["get_order", '{"order_id":"A-9"}', { ticket_id: "T-ü" }],
    "empty ticket" => ["get_order", '{"order_id":"A-10"}', { ticket_id: "" }],
    "Symbol ticket" => ["get_order", '{"order_id":"A-11"}', { ticket_id: :t1 }],
    "Integer ticket" => ["get_order", '{"order_id":"A-12"}', { ticket_id: 7 }],
    "NUL in the ticket" => ["get_order", '{"order_id":"A-13"}', { ticket_id: "T\0" }],
    "side_effect true" => ["lookup", '{"q":1}', { side_effect: true }],
    "side_effect false" => ["refund", '{"order_id":"A-14"}', { side_effect: false }],
    "side_effect not a boolean" => ["lookup", '{"q":2}', { side_effect: "yes" }],
    "a refund: idempotency key and lease" => ["refund", '{"order_id":"A-15","amount":5}', { ticket_id: "T-1" }],
    "errors in two arguments: the name's first" => [42, 5, { side_effect: "yes" }]
  }.freeze

  def test_every_kind_of_check_gets_the_same_answer_on_both_paths
    c_guard, ffi_guard = pair_of_guards(**CONFIG)
    CHECKS.each do |what, (name, args, options)|
      kind, = same(c_guard, ffi_guard, what) { |g| g.check_tool(name, args, **options) }
      # Settle an allowed call on both, so the next check starts alike.
      next unless kind == :decision && c_guard.stats[:pending_calls].positive?

      same(c_guard, ffi_guard, "#{what}: record") { |g| g.record_result(ok: true, payload: { "ok" => 1 }) }
    end
  end

  def test_repeats_reach_the_cache_on_both_paths_and_a_repeated_hit_is_the_same_object
    c_guard, ffi_guard = pair_of_guards(**CONFIG)
    kinds = Array.new(5) do |i|
      same(c_guard, ffi_guard, "repeat #{i}") do |g|
        d = g.check_tool("get_order", '{"order_id":"A-1"}')
        g.record_result(ok: true, payload: AuraGuard::RawJSON.new('{"status":"shipped"}'), call_id: d.call_id) if d.allow?
        d
      end[4][0]
    end
    assert_equal %i[allow cache cache cache cache], kinds
    first = c_guard.check_tool("get_order", '{"order_id":"A-1"}')
    assert_same first, c_guard.check_tool("get_order", '{"order_id":"A-1"}')
  end

  def record_cases
    {
      "ok not a boolean" => { ok: "true" },
      "ok with nothing else" => { ok: true },
      "Hash payload" => { ok: true, payload: { "a" => [1, 2] } },
      "payload JSON cannot write" => { ok: true, payload: { "n" => Float::INFINITY } },
      "RawJSON payload" => { ok: true, payload: AuraGuard::RawJSON.new('{"n":1}') },
      "RawJSON payload not JSON" => { ok: true, payload: AuraGuard::RawJSON.new("{") },
      "RawJSON non-ASCII payload" => { ok: true, payload: AuraGuard::RawJSON.new('{"n":"ü"}') },
      "RawJSON payload with NUL" => { ok: true, payload: AuraGuard::RawJSON.new("{\"n\":\"\0\"}") },
      "String payload" => { ok: true, payload: "plain text" },
      "a failure with a Symbol code" => { ok: false, error_code: :timeout },
      "a failure with an Integer code" => { ok: false, error_code: 429 },
      "NUL in the error code" => { ok: false, error_code: "a\0" },
      "side_effect_executed not a boolean" => { ok: false, side_effect_executed: "x" },
      "side_effect_executed true" => { ok: false, error_code: "timeout", side_effect_executed: true },
      "call_id 0" => { ok: true, call_id: 0 },
      "negative call_id" => { ok: true, call_id: -1 },
      "call_id past 2**64" => { ok: true, call_id: 2**64 },
      "call_id past a Fixnum, unknown" => { ok: true, call_id: 2**63 },
      "Float call_id" => { ok: true, call_id: 1.5 },
      "String call_id" => { ok: true, call_id: "1" },
      "unknown call_id" => { ok: true, call_id: 999_999 }
    }
  end

  def test_every_kind_of_record_gets_the_same_answer_on_both_paths
    c_guard, ffi_guard = pair_of_guards(**CONFIG, strict_mode: true)
    record_cases.each_with_index do |(what, result), i|
      same(c_guard, ffi_guard, "#{what}: check") { |g| g.check_tool("get_order", %({"order_id":"R-#{i}"})) }
      same(c_guard, ffi_guard, what) { |g| g.record_result(**result) }
      # A record refused leaves the call waiting: settle it on both.
      next unless c_guard.stats[:pending_calls].positive?

      same(c_guard, ffi_guard, "#{what}: settle") { |g| g.record_result(ok: true) }
    end
    # Strict mode: a record with no call waiting is misuse, on both.
    _, klass, = same(c_guard, ffi_guard, "no call waiting") { |g| g.record_result(ok: true) }
    assert_equal AuraGuard::MisuseError, klass
  end

  STALL = "I'm sorry for the delay, I'm still checking."
  OUTPUTS = {
    "a plain reply" => "Your order left the warehouse on Monday.",
    "a stall" => STALL,
    "the stall again: rewrite" => STALL,
    "a forced finalize" => '{"action":"finalize","reason":"resolved","reply_draft":"Done."}',
    "a stall after it" => STALL,
    "and again" => STALL,
    "not JSON after the rewrite" => "still looking, one moment",
    "non-ASCII" => "Ihre Bestellung ist unterwegs, grüße.",
    "UTF-16" => "checking".encode("UTF-16LE"),
    "bytes that are not UTF-8" => "\xFF\xFE".b,
    "NUL" => "a\0b",
    "an Integer" => 42,
    "nil" => nil,
    "empty" => ""
  }.freeze

  def test_every_kind_of_message_gets_the_same_answer_on_both_paths
    c_guard, ffi_guard = pair_of_guards(**CONFIG)
    kinds = OUTPUTS.map { |what, text| same(c_guard, ffi_guard, what) { |g| g.check_output(text) }.first(2) }
    # The sequence reached what it is there for: a rewrite, a finalize, an
    # escalation, refused text, and nothing to do.
    decided = kinds.select { |k, _| k == :decision }.map { |_, h| h[:action].to_sym }
    assert_includes decided, :rewrite
    assert_includes decided, :finalize
    assert_includes kinds.map(&:first), :error
    assert_includes kinds, [:value, nil]
  end

  # Arguments are read first, then the guard's state: a closed guard
  # refuses a well-formed call, and a malformed one gets its own error. An
  # ASCII RawJSON payload's NUL byte is the one fault found after the guard
  # is known open.
  def test_a_closed_guard_refuses_both_calls_alike
    c_guard, ffi_guard = pair_of_guards
    [c_guard, ffi_guard].each(&:close)
    nul = AuraGuard::RawJSON.new("\0")
    cases = {
      "check" => [->(g) { g.check_tool("get_order", "{}") }, AuraGuard::ClosedError],
      "check, bad name" => [->(g) { g.check_tool(42, "{}") }, AuraGuard::InvalidArgumentError],
      "record" => [->(g) { g.record_result(ok: true) }, AuraGuard::ClosedError],
      "record, bad ok" => [->(g) { g.record_result(ok: 1) }, AuraGuard::InvalidArgumentError],
      "record, NUL in a RawJSON payload" => [->(g) { g.record_result(ok: true, payload: nul) }, AuraGuard::ClosedError],
      "check_output" => [->(g) { g.check_output("hello") }, AuraGuard::ClosedError]
    }
    cases.each do |what, (call, error)|
      got = outcome { call.call(c_guard) }
      assert_equal outcome { call.call(ffi_guard) }, got, what
      assert_equal error, got[1], what
    end
  end

  # The extension keeps the classes and strings it uses in static variables:
  # compaction must not move them. verify_compaction_references moves every
  # object that can move; the calls after it must still work.
  def test_calls_after_the_heap_is_compacted_and_under_gc_stress
    g = on_path(guard(**CONFIG, side_effect_max_executed_per_run: 10), AuraGuard::CPath)
    GC.verify_compaction_references(double_heap: true, toward: :empty) if GC.respond_to?(:verify_compaction_references)
    d = g.check_tool("get_order", '{"order_id":"A-1"}')
    assert_equal %i[allow], [d.action]
    assert_equal "allow", d.reason
    g.record_result(ok: true, payload: AuraGuard::RawJSON.new('{"n":1}'), call_id: d.call_id)
    assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool("get_order", "{") }
    begin
      GC.stress = true
      3.times do |i|
        d = g.check_tool("refund", %({"order_id":"S-#{i}"}))
        assert_equal 32, d.idempotency_key.size
        g.record_result(ok: i != 1, error_code: i == 1 ? :timeout : nil, call_id: d.call_id)
      end
    ensure
      GC.stress = false
    end
    assert_equal [4, 1], g.stats.values_at(:tool_calls_executed, :tool_calls_failed)
  end
end

# AURAGUARD_HOT_PATH's values, on either path.
class HotPathChoiceTest < Minitest::Test
  def test_ffi_keeps_the_extension_out_and_an_unknown_value_is_refused
    refute AuraGuard::CPath.load("ffi")
    error = assert_raises(ArgumentError) { AuraGuard::CPath.load("fast") }
    assert_match(/AURAGUARD_HOT_PATH must be "c", "ffi" or unset, got "fast"/, error.message)
  end

  def test_hot_path_names_the_path_in_use
    assert_equal(AuraGuard::CPath.loaded? ? :c : :ffi, AuraGuard.hot_path)
    assert_equal ENV["AURAGUARD_HOT_PATH"] == "ffi" ? :ffi : :c, AuraGuard.hot_path if ENV["AURAGUARD_HOT_PATH"]
    assert_includes AuraGuard::Handle.ancestors, AuraGuard.hot_path == :c ? AuraGuard::CPath : AuraGuard::FfiPath
  end
end

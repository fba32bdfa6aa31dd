# frozen_string_literal: true

require_relative "test_helper"

# The hot path reads decisions field by field from the library's struct, and
# a cache decision's cached result through auraguard_decision_cached_result.
# Each must give what the library's JSON gives: the same calls go to a twin
# guard through the JSON functions, and the decisions are compared.
class FastPathTest < Minitest::Test
  # The twin: the same configuration, driven through auraguard_check_tool and
  # auraguard_record_result, its decisions read with Decision.from_json.
  class JsonTwin
    def initialize(guard)
      @handle = guard.instance_variable_get(:@handle)
    end

    def check_tool(tool, args, ticket_id: nil, side_effect: nil)
      flag = { nil => -1, false => 0, true => 1 }.fetch(side_effect)
      json = @handle.use do |pointer|
        AuraGuard::NativeCall.string_out(:auraguard_check_tool, pointer, tool, JSON.generate(args), ticket_id, flag)
      end
      AuraGuard::Decision.from_json(json)
    end

    def record_result(**result)
      @handle.use { |pointer| AuraGuard::NativeCall.status_only(:auraguard_record_result, pointer, JSON.generate(result)) }
    end
  end

  READERS = %i[action reason call_id idempotency_key lease_ms retry_after_ms cached_result injected_system
               escalation_packet finalized_output warning].freeze

  def twins(**config)
    [guard(**config), JsonTwin.new(guard(**config))]
  end

  # Checks on both, compares, and records `result` on both when allowed.
  def check_both(fast, twin, tool, args, result: { ok: true, payload: { "ok" => 1 } }, **options)
    decision = fast.check_tool(tool, args, **options)
    expected = twin.check_tool(tool, args, **options)
    READERS.each do |reader|
      want = expected.public_send(reader)
      got = decision.public_send(reader)
      want.nil? ? assert_nil(got, "#{tool} #{reader}") : assert_equal(want, got, "#{tool} #{reader}")
    end
    # The struct's decisions name their action with a Symbol in #to_h, as
    # before; everything else is the JSON's.
    assert_equal expected.to_h, decision.to_h.merge(action: decision.to_h[:action].to_s)
    assert_predicate decision, :frozen?
    if decision.allow?
      fast.record_result(**result, call_id: decision.call_id)
      twin.record_result(**result, call_id: expected.call_id)
    end
    decision
  end

  def test_cached_results_read_through_the_accessor_equal_the_json
    fast, twin = twins(max_json_bytes: 1024, side_effect_tools: %w[refund cancel_order],
                       side_effect_max_executed_per_run: 10)
    results = [
      ["get_order", { order_id: "kept" }, { ok: true, payload: { "items" => [1, 2.5, nil], "note" => "é \" \\ \u2028" } }],
      ["get_order", { order_id: "scalar" }, { ok: true, payload: "just text" }],
      ["get_order", { order_id: "none" }, { ok: true }],
      ["refund", { order_id: "paid" }, { ok: true, payload: { "refund_id" => "R-1" } }],
      # Another tool: a timeout quarantines its tool.
      ["cancel_order", { order_id: "timeout" }, { ok: false, error_code: "timeout", side_effect_executed: true }],
      ["refund", { order_id: "big" }, { ok: true, payload: { "receipt" => "y" * 4096 } }]
    ]
    # A ticket each, so that no call is a replay of another row.
    results.each_with_index do |(tool, args, result), i|
      actions = Array.new(3) { check_both(fast, twin, tool, args, result: result, ticket_id: "T-#{i}").action }
      assert_includes actions, :cache, "#{tool} #{args} was never answered from the cache"
    end
    replays = [["cancel_order", "timeout", "T-4"], ["refund", "big", "T-5"]].map do |tool, id, ticket|
      check_both(fast, twin, tool, { order_id: id }, ticket_id: ticket)
    end
    assert_equal [%i[cache cache], %w[idempotent_replay idempotent_replay]], [replays.map(&:action), replays.map(&:reason)]
    assert_equal({ ok: false, payload: nil, error_code: "timeout", cached: true, side_effect_executed: true, payload_kept: true },
                 replays[0].cached_result)
    assert_equal [false, nil], replays[1].cached_result.values_at(:payload_kept, :payload)
  end

  def test_alternating_cached_payloads_each_come_back_as_recorded
    g = guard(repeat_toolcall_threshold: 2)
    payloads = { "A" => { "n" => 1 }, "B" => { "n" => [2] } }
    payloads.each { |id, payload| 2.times { check_and_record(g, "get_order", { order_id: id }, payload: payload) } }
    6.times do |i|
      id = i.even? ? "A" : "B"
      decision = g.check_tool("get_order", { order_id: id })
      assert_predicate decision, :cache?
      assert_equal JSON.parse(JSON.generate(payloads[id]), symbolize_names: true), decision.cached_result[:payload]
      assert_predicate decision.cached_result[:payload], :frozen?
    end
  end

  def test_allows_blocks_and_side_effects_match_the_json
    fast, twin = twins(side_effect_tools: ["refund"], max_calls_per_tool: 3)
    check_both(fast, twin, "refund", { order_id: "A" }, ticket_id: "T-1")
    check_both(fast, twin, "refund", { order_id: "A" }, ticket_id: "T-2")
    check_both(fast, twin, "send_email", { to: "x" }, ticket_id: "T-3", side_effect: true)
    4.times { |i| check_both(fast, twin, "get_order", { order_id: i }) }
  end

  def test_a_decision_keeps_its_fields_after_later_calls_reuse_the_struct
    g = guard(side_effect_tools: ["refund"])
    refund = g.check_tool("refund", { order_id: "A" }, ticket_id: "T-1")
    key = refund.idempotency_key
    fields = [refund.action, refund.reason, refund.call_id, refund.lease_ms, refund.to_h]
    assert_match(/\A\h{32}\z/, key)
    assert_equal Encoding::UTF_8, key.encoding
    g.record_result(ok: true, call_id: refund.call_id)
    3.times { |i| check_and_record(g, "get_order", { order_id: i }) }
    g.check_tool("refund", { order_id: "A" }, ticket_id: "T-1")
    assert_equal key, refund.idempotency_key
    assert_equal fields, [refund.action, refund.reason, refund.call_id, refund.lease_ms, refund.to_h]
  end

  # A success with nothing else said takes the three-parameter record; any
  # other shape the six-parameter one. Each must book what the JSON record
  # books: the reports (side effects executed, cost, failures) compared.
  def test_every_result_shape_books_what_the_json_record_books
    fast, twin = twins(side_effect_tools: ["refund"], side_effect_max_executed_per_run: 10)
    shapes = [
      { ok: true, payload: { "refund_id" => "R-1" } },
      { ok: true, payload: { "refund_id" => "R-2" }, side_effect_executed: false },
      { ok: true },
      { ok: true, error_code: "partial" },
      { ok: false, error_code: "timeout", side_effect_executed: true },
      { ok: false, error_code: "declined" }
    ]
    shapes.each_with_index do |result, i|
      check_both(fast, twin, "refund", { order_id: i }, result: result, ticket_id: "T-#{i}")
      twin_report = twin.instance_variable_get(:@handle).use do |pointer|
        AuraGuard::NativeCall.string_out(:auraguard_report_json, pointer)
      end
      strip = ->(json) { JSON.parse(json).tap { |r| r.dig("stats").delete("run_id") }.to_json.gsub(/"run_id":"[0-9a-f]+"/, "") }
      assert_equal strip.call(twin_report), strip.call(fast.report_json), "after #{result}"
    end
    assert_equal 4, fast.report_data.dig(:side_effects, :refund, :executed)
  end

  def test_a_stalled_message_is_read_from_its_decision
    g = guard
    stall = "I'm sorry for the delay, I'm still checking."
    assert_nil g.check_output(stall)
    rewrite = g.check_output(stall)
    assert_equal [:rewrite, "no_state_change_loop"], [rewrite.action, rewrite.reason]
    assert_kind_of String, rewrite.injected_system
    assert_equal "rewrite", rewrite.to_h[:action]
    assert_predicate rewrite, :frozen?
  end

  # The call block keeps a plain cache hit's result: a repeat of the same
  # stored result is the same (frozen) Decision again, another stored
  # result a new one, each equal to what the JSON path gives.
  def test_repeated_cache_hits_equal_the_json_and_switch_with_the_stored_result
    fast, twin = twins(repeat_toolcall_threshold: 2, max_cache_entries: 10)
    a = { order_id: "A" }
    b = { order_id: "B" }
    check_both(fast, twin, "get_order", a, result: { ok: true, payload: { "n" => 1 } })
    check_both(fast, twin, "get_order", b, result: { ok: true, payload: [2] })
    first = check_both(fast, twin, "get_order", a)
    assert_equal({ n: 1 }, first.cached_result[:payload])
    assert_same first, check_both(fast, twin, "get_order", a)
    other = check_both(fast, twin, "get_order", b)
    assert_equal [2], other.cached_result[:payload]
    again = check_both(fast, twin, "get_order", a)
    assert_equal first.cached_result, again.cached_result
    assert_same again, check_both(fast, twin, "get_order", a, ticket_id: nil)
  end

  # Text the hot path does not recognise goes through Arguments as before.
  def test_symbols_and_non_ascii_text_reach_the_library_as_utf8
    g = guard
    assert_predicate g.check_tool(:get_order, { order_id: 1 }, ticket_id: "Größe-1"), :allow?
    latin = "caf\xE9".dup.force_encoding(Encoding::ISO_8859_1)
    d = g.check_tool("get_order", AuraGuard::RawJSON.new(%({"q":"#{latin.encode(Encoding::UTF_8)}"})), ticket_id: latin)
    assert_predicate d, :allow?
    g.record_result(ok: true, payload: AuraGuard::RawJSON.new(%({"q":"é"})), call_id: d.call_id)
    assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool(Object.new) }
    assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool("get_order", {}, ticket_id: 5) }
  end
end

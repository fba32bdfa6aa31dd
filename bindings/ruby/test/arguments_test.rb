# frozen_string_literal: true

require_relative "test_helper"

# Bad input gets an error that says what was wrong, never a crash.
class ArgumentsTest < Minitest::Test
  def assert_invalid(pattern, &block)
    error = assert_raises(AuraGuard::InvalidArgumentError, &block)
    assert_equal :invalid_argument, error.status
    assert_match pattern, error.message
  end

  def test_tool_names_must_be_text_without_nul_bytes
    g = guard
    assert_invalid(/tool name must be a String/) { g.check_tool(nil) }
    assert_invalid(/tool name contains a NUL byte/) { g.check_tool("get\0order") }
    assert_invalid(/UTF-8/) { g.check_tool("get\xFForder".b) }
    assert_predicate g.check_tool(:get_order, { order_id: 1 }), :allow?
  end

  def test_other_encodings_are_converted_to_utf8
    g = guard
    latin = "caf\xE9".dup.force_encoding(Encoding::ISO_8859_1)
    assert_predicate g.check_tool("search_kb", { query: "x" }, ticket_id: latin), :allow?
  end

  def test_arguments_must_be_a_hash_of_json_values
    g = guard
    assert_invalid(/tool arguments must be a Hash, a String of JSON text or RawJSON, got Array/) { g.check_tool("get_order", [1, 2]) }
    assert_invalid(/tool arguments cannot be written as JSON/) { g.check_tool("get_order", { x: Float::INFINITY }) }
  end

  def test_side_effect_must_be_true_false_or_nil
    assert_invalid(/side_effect must be true, false or nil/) { guard.check_tool("refund", {}, side_effect: 1) }
  end

  def test_results_are_validated
    g = guard
    g.check_tool("get_order", { order_id: 1 })
    assert_invalid(/ok/) { g.record_result(ok: "yes") }
    assert_invalid(/payload|result/) { g.record_result(ok: true, payload: Float::NAN) }
    g.record_result(ok: true)
  end

  def test_oversized_input_is_refused
    g = guard(max_json_bytes: 1024)
    assert_raises(AuraGuard::InvalidArgumentError) { g.check_tool("search_kb", { query: "x" * 2048 }) }
  end

  def test_token_counts_and_cost_override_are_validated
    g = guard
    assert_invalid(/input_tokens/) { g.record_tokens(input_tokens: -1, output_tokens: 0) }
    assert_invalid(/output_tokens/) { g.record_tokens(input_tokens: 0, output_tokens: 1.5) }
    assert_invalid(/cost_override/) { g.record_tokens(input_tokens: 0, output_tokens: 0, cost_override: -0.1) }
    assert_invalid(/cost_override/) { g.record_tokens(input_tokens: 0, output_tokens: 0, cost_override: Float::NAN) }
    assert_in_delta 0.0, g.stats[:reported_token_cost_usd], 1e-12
  end

  def test_check_output_needs_text
    assert_invalid(/text must be a String/) { guard.check_output(42) }
  end

  # Plain ASCII is passed on as it is; any other text takes the longer way
  # through Arguments.text, which must still let UTF-8 through.
  def test_text_beyond_ascii_is_passed_on
    g = guard
    decision = g.check_tool("search_kb", AuraGuard::RawJSON.new(%({"query":"café ☃"})), ticket_id: "T-é")
    assert_predicate decision, :allow?
    g.record_result(ok: true, payload: AuraGuard::RawJSON.new(%({"answer":"über"})), call_id: decision.call_id)
    ascii = "get_order".encode(Encoding::US_ASCII)
    check_and_record(g, ascii, { order_id: 2 }, payload: { "text" => "é" })
    assert_equal 2, g.stats[:tool_calls_executed]
    assert_invalid(/tool arguments contains a NUL byte/) { g.check_tool("search_kb", AuraGuard::RawJSON.new(%({"q":"\0"}) + "\0")) }
    assert_invalid(/payload contains a NUL byte/) { g.record_result(ok: true, payload: AuraGuard::RawJSON.new("1\0")) }
    assert_invalid(/ticket_id contains a NUL byte/) { g.check_tool("search_kb", {}, ticket_id: "T\0") }
  end

  def test_result_fields_are_checked_in_order_with_their_own_messages
    g = guard
    g.check_tool("get_order", { order_id: 1 })
    assert_invalid(/`ok` must be true or false/) { g.record_result(ok: nil, side_effect_executed: 1) }
    assert_invalid(/`side_effect_executed` must be true, false or null/) { g.record_result(ok: true, side_effect_executed: 1, call_id: -1) }
    assert_invalid(/call_id 0 does not await a result/) { g.record_result(ok: true, call_id: 0) }
    [-1, 2**64, "1", 1.0].each do |id|
      assert_invalid(/`call_id` must be a non-negative integer or null/) { g.record_result(ok: true, call_id: id) }
    end
    # Within range but never issued: the library's answer.
    assert_invalid(/call_id/) { g.record_result(ok: true, call_id: 2**63) }
    g.record_result(ok: true)
  end

  # A model writes a tool call's arguments as JSON text: a String is that
  # text, the same call as the Hash it spells.
  def test_arguments_as_json_text_are_the_call_their_object_is
    g = guard
    first = g.check_tool("get_order", { order_id: "A-1", note: "é" }, ticket_id: "T-1")
    g.record_result(ok: true, payload: { status: "shipped" }, call_id: first.call_id)
    second = g.check_tool("get_order", %({"note":"é","order_id":"A-1"}), ticket_id: "T-1")
    assert_predicate second, :allow?
    g.record_result(ok: true, payload: { status: "shipped" }, call_id: second.call_id)
    # Spelled a third way (Latin-1, spaces): the third repeat, served from the cache.
    latin = %({ "order_id" : "A-1", "note" : "\u00e9" }).encode(Encoding::ISO_8859_1)
    third = g.check_tool("get_order", latin, ticket_id: "T-1")
    assert_equal [:cache, "identical_toolcall_loop_cache"], [third.action, third.reason]
    assert_equal({ status: "shipped" }, third.cached_result[:payload])
    frozen = '{"order_id":"B-1"}'
    assert_predicate g.check_tool("get_order", frozen), :allow?
  end

  def test_arguments_as_json_text_must_be_a_json_object
    g = guard
    assert_invalid(/args must be a JSON object/) { g.check_tool("get_order", "") }
    assert_invalid(/args is not valid JSON: unexpected end of input/) { g.check_tool("get_order", '{"order_id": ') }
    assert_invalid(/args must be a JSON object/) { g.check_tool("get_order", "[1]") }
    assert_invalid(/tool arguments contains a NUL byte/) { g.check_tool("get_order", %({"q":"a\u0000"}) + "\0") }
    assert_invalid(/tool arguments cannot be converted to UTF-8/) { g.check_tool("get_order", %({"q":"\xff"}).dup.force_encoding(Encoding::Shift_JIS)) }
    # Nothing was counted by the refusals.
    assert_equal 0, g.stats[:tool_calls_executed]
    assert_equal 0, g.stats[:pending_calls]
    assert_predicate g.check_tool("get_order", '{"order_id":"A"}'), :allow?
  end

  def test_raw_json_keeps_a_copy_of_the_text_it_was_given
    text = +'{"order_id":"A"}'
    raw = AuraGuard::RawJSON.new(text)
    text << "garbage"
    assert_equal '{"order_id":"A"}', raw.json
    assert_predicate raw.json, :frozen?
    assert_predicate raw, :frozen?
    latin = (+"1").force_encoding(Encoding::ISO_8859_1)
    assert_equal Encoding::ISO_8859_1, AuraGuard::RawJSON.new(latin).json.encoding
    frozen = "[1]"
    assert_same frozen, AuraGuard::RawJSON.new(frozen).json
  end
end

# frozen_string_literal: true

require_relative "test_helper"
require_relative "provider_fixtures"

# Reading tool calls and text out of the three provider formats, and the
# messages written back.
class ProvidersReadingTest < Minitest::Test
  include ProviderFixtures
  P = AuraGuard::Providers

  IDS = {
    openai_chat: %w[call_7fGq2LmXo0aRtY4kUe1sWb9H call_Qn3vB8sKd5jPzE2cHa6mTr0L call_Wk9eJ1tFy4uNcS7oRm2xVg5D],
    # Responses: the call_id, not the item's fc_ id.
    openai_responses: %w[call_7fGq2LmXo0aRtY4kUe1sWb9H call_Qn3vB8sKd5jPzE2cHa6mTr0L call_Wk9eJ1tFy4uNcS7oRm2xVg5D],
    anthropic_messages: %w[toolu_01A09q90qw90lq917835lq9a toolu_01B18r81rx81mr826724mr8b toolu_01C27s72sy72ns735613ns7c]
  }.freeze

  def test_parallel_calls_are_read_in_order_with_the_ids_each_format_answers_to
    P::FORMATS.each do |format|
      calls = P.tool_calls(format, fixture(format, "parallel"))
      assert_equal IDS[format], calls.map(&:id), format
      assert_equal %w[get_order search_kb get_shipping], calls.map(&:name)
      assert_equal [0, 1, 2], calls.map(&:position)
      assert_equal({ query: "refund policy" }, calls[1].arguments)
      assert_nil calls[1].arguments_error
      assert_equal '{"order_id":"A1"}', calls[0].arguments_json
    end
  end

  def test_a_response_given_as_a_hash_with_symbol_keys_reads_the_same
    hash = JSON.parse(fixture(:anthropic_messages, "repeat"), symbolize_names: true)
    calls = P.tool_calls(:anthropic_messages, hash)
    assert_equal %w[toolu_01D36t63tz63ot644502ot6d toolu_01E45u54ua54pu553491pu5e], calls.map(&:id)
    assert_equal({ order_id: "A1", amount: 30 }, calls[0].arguments)
  end

  def test_malformed_arguments_are_an_error_of_their_call_only
    P::FORMATS.each do |format|
      calls = P.tool_calls(format, fixture(format, "malformed"))
      assert_equal 2, calls.size
      assert_nil calls[0].arguments_error
      assert_equal "refund", calls[1].name
      assert_nil calls[1].arguments
      expected = format == :anthropic_messages ? '"input" must be a JSON object, got a string' : "the arguments are not valid JSON"
      assert calls[1].arguments_error.start_with?(expected), "#{format}: #{calls[1].arguments_error}"
    end
  end

  def test_json_that_is_not_an_object_is_an_error_and_empty_text_is_no_arguments
    calls = P.tool_calls(:openai_chat, chat_response(chat_call("c1", "get_order", "[1,2]"), chat_call("c2", "list_orders", "")))
    assert_equal "the arguments must be a JSON object, got a list", calls[0].arguments_error
    assert_nil calls[1].arguments_error
    assert_equal({}, calls[1].arguments)
  end

  def test_a_text_only_response_has_no_calls_and_its_text_is_read
    P::FORMATS.each do |format|
      response = fixture(format, "text")
      assert_empty P.tool_calls(format, response)
      assert_equal "I'm sorry for the delay, I'm still checking.", P.assistant_text(format, response)
    end
    assert_nil P.assistant_text(:openai_chat, fixture(:openai_chat, "parallel"))
    # A reasoning item and a text block are not calls; the text is read.
    assert_nil P.assistant_text(:openai_responses, fixture(:openai_responses, "parallel"))
    assert_equal "I'll look up the order, the refund policy and the shipment.",
                 P.assistant_text(:anthropic_messages, fixture(:anthropic_messages, "parallel"))
  end

  def test_a_response_of_the_wrong_shape_says_what_is_missing
    error = assert_raises(P::ResponseError) { P.tool_calls(:openai_chat, '{"choices":') }
    assert_match(/\Athe response is not JSON/, error.message)
    assert_kind_of AuraGuard::Error, error
    error = assert_raises(P::ResponseError) { P.tool_calls(:openai_chat, "[]") }
    assert_equal "the response must be a JSON object, got a list", error.message
    error = assert_raises(P::ResponseError) { P.tool_calls(:openai_chat, fixture(:anthropic_messages, "parallel")) }
    assert_includes error.message, 'has no "choices" list'
    error = assert_raises(P::ResponseError) do
      P.tool_calls(:openai_chat, chat_response({ type: "function", function: { name: "x", arguments: "{}" } }))
    end
    assert_includes error.message, 'choices[0].message.tool_calls[0] has no "id" string'
    error = assert_raises(P::ResponseError) do
      P.tool_calls(:openai_responses, '{"output":[{"type":"function_call","id":"fc_1","name":"x","arguments":"{}"}]}')
    end
    assert_includes error.message, 'output[0] has no "call_id" string'
    assert_raises(P::ResponseError) { P.tool_calls(:openai_chat, 42) }
    error = assert_raises(P::ResponseError) { P.tool_calls(:openai_chat, { choices: [Float::NAN] }) }
    assert_includes error.message, "the response cannot be read as JSON"
    error = assert_raises(ArgumentError) { P.tool_calls(:gemini, "{}") }
    assert_includes error.message, "unknown provider format :gemini"
  end

  def test_each_format_answers_a_call_in_its_own_shape
    call = P.tool_calls(:openai_chat, fixture(:openai_chat, "parallel"))[0]
    assert_equal({ "role" => "tool", "tool_call_id" => call.id, "content" => "done" }, P.tool_result(:openai_chat, call, "done"))
    call = P.tool_calls(:openai_responses, fixture(:openai_responses, "parallel"))[0]
    assert_equal({ "type" => "function_call_output", "call_id" => call.id, "output" => "done" },
                 P.tool_result(:openai_responses, call, "done", is_error: true))
    call = P.tool_calls(:anthropic_messages, fixture(:anthropic_messages, "parallel"))[0]
    assert_equal({ "type" => "tool_result", "tool_use_id" => call.id, "content" => "no", "is_error" => true },
                 P.tool_result(:anthropic_messages, call, "no", is_error: true))
  end

  def test_the_rewrite_text_becomes_an_instruction_in_each_format
    assert_equal({ "role" => "system", "content" => "Stop." }, P.system_message(:openai_chat, "Stop."))
    assert_equal({ "role" => "developer", "content" => "Stop." }, P.system_message(:openai_chat, "Stop.", role: "developer"))
    assert_equal({ "type" => "message", "role" => "developer", "content" => "Stop." }, P.system_message(:openai_responses, "Stop."))
    assert_equal({ "type" => "text", "text" => "Stop." }, P.system_message(:anthropic_messages, "Stop."))
    assert_raises(ArgumentError) { P.system_message(:openai_chat, nil) }
  end
end

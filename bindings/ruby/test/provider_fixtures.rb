# frozen_string_literal: true

require "json"
require "auraguard/providers"

# The recorded provider responses under tests/fixtures/providers, and a
# reader for the results the helpers write, whatever the format.
module ProviderFixtures
  DIR = File.expand_path("../../../tests/fixtures/providers", __dir__)
  PREFIX = { openai_chat: "openai_chat", openai_responses: "openai_responses",
             anthropic_messages: "anthropic_messages" }.freeze

  Result = Struct.new(:id, :text, :is_error)

  def fixture(format, scenario)
    File.read(File.join(DIR, "#{PREFIX.fetch(format)}_#{scenario}.json"))
  end

  # [Result] of a turn's messages; is_error only for Messages.
  def results(format, messages)
    case format
    when :anthropic_messages
      return [] if messages.empty?

      assert_equal 1, messages.size, "Messages answers a turn with one user message"
      assert_equal "user", messages[0]["role"]
      messages[0]["content"].map do |block|
        assert_equal %w[type tool_use_id content is_error], block.keys
        Result.new(block["tool_use_id"], block["content"], block["is_error"])
      end
    when :openai_chat
      messages.map do |m|
        assert_equal %w[role tool_call_id content], m.keys
        assert_equal "tool", m["role"]
        Result.new(m["tool_call_id"], m["content"], nil)
      end
    else
      messages.map do |m|
        assert_equal %w[type call_id output], m.keys
        assert_equal "function_call_output", m["type"]
        Result.new(m["call_id"], m["output"], nil)
      end
    end
  end

  def chat_response(*tool_calls)
    JSON.generate(choices: [{ index: 0, message: { role: "assistant", content: nil, tool_calls: tool_calls },
                              finish_reason: "tool_calls" }])
  end

  def chat_call(id, name, arguments)
    { id: id, type: "function", function: { name: name, arguments: arguments } }
  end
end

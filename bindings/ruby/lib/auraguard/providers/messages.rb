# frozen_string_literal: true

module AuraGuard
  module Providers
    # The messages that answer tool calls, as Hashes with string keys.
    module Messages
      module_function

      def tool_result(format, call, text, is_error)
        text = text.to_s
        case format
        when :openai_chat then { "role" => "tool", "tool_call_id" => call.id, "content" => text }
        when :openai_responses then { "type" => "function_call_output", "call_id" => call.id, "output" => text }
        when :anthropic_messages
          { "type" => "tool_result", "tool_use_id" => call.id, "content" => text, "is_error" => is_error ? true : false }
        else Reader.unknown_format(format)
        end
      end

      def tool_result_messages(format, guarded_calls)
        results = guarded_calls.map { |g| g.result_message(format) }
        return results unless format == :anthropic_messages
        return [] if results.empty?

        [{ "role" => "user", "content" => results }]
      end

      def system_message(format, text, role)
        raise ArgumentError, "the instruction text must be a String, got #{text.class}" unless text.is_a?(String)

        case format
        when :openai_chat then { "role" => role || "system", "content" => text }
        when :openai_responses then { "type" => "message", "role" => role || "developer", "content" => text }
        when :anthropic_messages then { "type" => "text", "text" => text }
        else Reader.unknown_format(format)
        end
      end
    end
  end
end

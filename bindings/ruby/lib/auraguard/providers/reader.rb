# frozen_string_literal: true

require "json"

module AuraGuard
  module Providers
    # Reads tool calls and text out of responses. A response of the wrong
    # shape raises ResponseError naming what is missing; arguments the model
    # got wrong do not: they become the call's arguments_error.
    module Reader
      module_function

      def tool_calls(format, response)
        data = normalize(response)
        calls = case format
                when :openai_chat then chat_calls(data)
                when :openai_responses then responses_calls(data)
                when :anthropic_messages then messages_calls(data)
                else unknown_format(format)
                end
        calls.each_with_index.map { |fields, i| ToolCall.new(position: i, **fields).freeze }.freeze
      end

      def assistant_text(format, response)
        data = normalize(response)
        parts = case format
                when :openai_chat
                  message = first_choice_message(data, required: false)
                  content = message && message["content"]
                  content.is_a?(String) ? [content] : []
                when :openai_responses
                  list(data["output"]).select { |item| item.is_a?(Hash) && item["type"] == "message" }
                                      .flat_map { |item| texts(item["content"], "output_text") }
                when :anthropic_messages then texts(data["content"], "text")
                else unknown_format(format)
                end
        parts = parts.reject(&:empty?)
        parts.empty? ? nil : parts.join("\n")
      end

      # A response as a Hash with string keys, whichever way it was given.
      def normalize(response)
        data = case response
               when String then parse(response)
               when Hash then from_hash(response)
               else raise ResponseError, "the response must be JSON text or a Hash, got #{response.class}"
               end
        raise ResponseError, "the response must be a JSON object, got #{kind(data)}" unless data.is_a?(Hash)

        data
      end

      # String keys throughout, as JSON text would give them.
      def from_hash(hash)
        JSON.parse(JSON.generate(hash))
      rescue JSON::GeneratorError, JSON::NestingError => e
        raise ResponseError, "the response cannot be read as JSON: #{e.message}"
      end

      def parse(text)
        JSON.parse(text)
      rescue JSON::ParserError => e
        raise ResponseError, "the response is not JSON: #{e.message}"
      end

      # choices[0].message.tool_calls[]: {id, type: "function", function: {name, arguments}}.
      def chat_calls(data)
        message = first_choice_message(data, required: true)
        return [] unless message

        optional_list(message, "tool_calls", "choices[0].message").each_with_index.map do |call, i|
          where = "choices[0].message.tool_calls[#{i}]"
          shape!("#{where} is not an object") unless call.is_a?(Hash)
          function = call["function"]
          shape!("#{where} has no \"function\" object") unless function.is_a?(Hash)
          from_text(string!(call, "id", where), string!(function, "name", "#{where}.function"), function, "arguments")
        end
      end

      def first_choice_message(data, required:)
        choices = data["choices"]
        unless choices.is_a?(Array)
          return nil unless required

          shape!("an OpenAI Chat Completions response has no \"choices\" list")
        end
        return nil if choices.empty?

        choice = choices.first
        message = choice.is_a?(Hash) ? choice["message"] : nil
        shape!("choices[0] has no \"message\" object") if required && !message.is_a?(Hash)
        message.is_a?(Hash) ? message : nil
      end

      # output[] items of type function_call: {call_id, name, arguments}.
      def responses_calls(data)
        items_of_type(data, "output", "function_call", "an OpenAI Responses response").map do |item, where|
          from_text(string!(item, "call_id", where), string!(item, "name", where), item, "arguments")
        end
      end

      # content[] blocks of type tool_use: {id, name, input}, input an object.
      def messages_calls(data)
        items_of_type(data, "content", "tool_use", "an Anthropic Messages response").map do |block, where|
          id = string!(block, "id", where)
          name = string!(block, "name", where)
          input = block["input"]
          if input.is_a?(Hash)
            json = JSON.generate(input)
            { id: id, name: name, arguments_json: json, arguments: symbolized(json), arguments_error: nil }
          else
            error = input.nil? ? "no \"input\" object was sent" : "\"input\" must be a JSON object, got #{kind(input)}"
            { id: id, name: name, arguments_json: input.nil? ? nil : JSON.generate(input), arguments: nil,
              arguments_error: error }
          end
        end
      end

      # [item, where] for the objects of data[key] of the given type; every
      # item must be an object.
      def items_of_type(data, key, type, what)
        list = data[key]
        shape!("#{what} has no \"#{key}\" list") unless list.is_a?(Array)
        list.each_with_index.filter_map do |item, i|
          shape!("#{key}[#{i}] is not an object") unless item.is_a?(Hash)
          [item, "#{key}[#{i}]"] if item["type"] == type
        end
      end

      # Arguments sent as JSON text: kept as sent, read to see whether they
      # can be used. An empty text is no arguments, as some models send.
      def from_text(id, name, holder, key)
        text = holder[key]
        fields = { id: id, name: name, arguments_json: text, arguments: nil, arguments_error: nil }
        unless text.is_a?(String)
          fields[:arguments_json] = text.nil? ? nil : JSON.generate(text)
          fields[:arguments_error] =
            text.nil? ? "no \"#{key}\" text was sent" : "\"#{key}\" must be a string of JSON, got #{kind(text)}"
          return fields
        end
        return fields.merge(arguments: {}.freeze) if text.strip.empty?

        parsed = JSON.parse(text, symbolize_names: true, freeze: true)
        return fields.merge(arguments: parsed) if parsed.is_a?(Hash)

        fields.merge(arguments_error: "the arguments must be a JSON object, got #{kind(parsed)}")
      rescue JSON::ParserError => e
        fields.merge(arguments_error: "the arguments are not valid JSON (#{e.message.lines.first.strip})")
      end

      def symbolized(json)
        JSON.parse(json, symbolize_names: true, freeze: true)
      end

      def texts(blocks, type)
        list(blocks).filter_map { |b| b["text"] if b.is_a?(Hash) && b["type"] == type && b["text"].is_a?(String) }
      end

      def list(value)
        value.is_a?(Array) ? value : []
      end

      def optional_list(hash, key, where)
        value = hash[key]
        return [] if value.nil?

        shape!("#{where}.#{key} must be a list, got #{kind(value)}") unless value.is_a?(Array)
        value
      end

      def string!(hash, key, where)
        value = hash[key]
        shape!("#{where} has no \"#{key}\" string") unless value.is_a?(String) && !value.empty?
        value
      end

      def kind(value)
        case value
        when nil then "null"
        when String then "a string"
        when true, false then "a boolean"
        when Array then "a list"
        when Hash then "an object"
        else "a number"
        end
      end

      def shape!(what)
        raise ResponseError, "not a tool-calling response: #{what}"
      end

      def unknown_format(format)
        raise ArgumentError, "unknown provider format #{format.inspect}; one of #{FORMATS.map(&:inspect).join(', ')}"
      end
    end
  end
end

# frozen_string_literal: true

require "json"
require_relative "errors"
require_relative "raw_json"
require_relative "json_writer"

module AuraGuard
  # Converts Ruby values into what the C functions take, raising
  # InvalidArgumentError with a message naming the argument when that is not
  # possible (the library would only see a truncated or refused string).
  module Arguments
    SIDE_EFFECT_FLAGS = { nil => -1, false => 0, true => 1 }.freeze
    UINT64_MAX = (2**64) - 1
    # The largest Integer that `<=` compares without a method call (on a
    # 64-bit Ruby); every call id a run hands out is below it.
    FIXNUM_MAX = (2**62) - 1
    PASS_THROUGH = [Encoding::UTF_8, Encoding::US_ASCII, Encoding::BINARY].freeze

    module_function

    # A String or Symbol as a NUL-free string. Non-UTF-8 encodings are
    # transcoded; bytes that are not UTF-8 are left for the library to refuse.
    def text(value, what)
      # The common case first, in three cheap calls: a UTF-8 String without NUL.
      return value if value.is_a?(String) && value.encoding == Encoding::UTF_8 && !value.include?("\0")

      string = value.is_a?(Symbol) ? value.name : value
      invalid!("#{what} must be a String, got #{value.class}") unless string.is_a?(String)
      string = string.encode(Encoding::UTF_8) unless PASS_THROUGH.include?(string.encoding)
      invalid!("#{what} contains a NUL byte") if string.include?("\0")
      string
    rescue EncodingError => e
      invalid!("#{what} cannot be converted to UTF-8: #{e.message}")
    end

    # Any JSON-serializable value as JSON text.
    def json(value, what, error: InvalidArgumentError)
      JsonWriter.generate(value)
    rescue JSON::GeneratorError, JSON::NestingError => e
      raise error.new("#{what} cannot be written as JSON: #{e.message}",
                      status: error == ConfigError ? :config : :invalid_argument)
    end

    # nil for no arguments, which the C API reads as {}; JSON text (a
    # String, or RawJSON) as it is, for the library to validate: a model
    # writes a tool call's arguments as JSON text, and no other String is
    # an object of arguments.
    def args_json(args)
      return nil if args.nil? || (args.is_a?(Hash) && args.empty?)
      return text(args, "tool arguments") if args.is_a?(String)
      return text(args.json, "tool arguments") if args.is_a?(RawJSON)
      invalid!("tool arguments must be a Hash, a String of JSON text or RawJSON, got #{args.class}") unless args.is_a?(Hash)

      json(args, "tool arguments")
    end

    # The JSON text of a result's payload (not nil): RawJSON as it is,
    # anything else written as JSON.
    def payload_json(payload)
      return text(payload.json, "payload") if payload.is_a?(RawJSON)

      text(json(payload, "result"), "payload")
    end

    # A result's side_effect_executed (not nil) as the C API's flag.
    def side_effect_executed(value)
      SIDE_EFFECT_FLAGS.fetch(value) { invalid!("result field `side_effect_executed` must be true, false or null") }
    end

    # A result's call_id (not nil).
    def call_id(value)
      return value if value.is_a?(Integer) && value >= 1 && value <= UINT64_MAX

      invalid!(if value == 0
                 "call_id 0 does not await a result (never issued, already recorded, or dropped as missed)"
               else
                 "result field `call_id` must be a non-negative integer or null"
               end)
    end

    def side_effect_flag(value)
      SIDE_EFFECT_FLAGS.fetch(value) { invalid!("side_effect must be true, false or nil, got #{value.inspect}") }
    end

    def token_count(value, what)
      return value if value.is_a?(Integer) && value.between?(0, UINT64_MAX)

      invalid!("#{what} must be an Integer between 0 and 2**64-1, got #{value.inspect}")
    end

    # nil means "price with the cost model", which the C API spells NaN.
    def cost_override(value)
      return Float::NAN if value.nil?
      return value.to_f if value.is_a?(Numeric) && value.real? && value.to_f.finite? && value >= 0

      invalid!("cost_override must be a finite number >= 0 or nil, got #{value.inspect}")
    end

    def invalid!(message)
      raise InvalidArgumentError.new(message, status: :invalid_argument)
    end
  end
end

# frozen_string_literal: true

require "json"
require_relative "errors"

module AuraGuard
  # Converts Ruby values into what the C functions take, raising
  # InvalidArgumentError with a message naming the argument when that is not
  # possible (the library would only see a truncated or refused string).
  module Arguments
    SIDE_EFFECT_FLAGS = { nil => -1, false => 0, true => 1 }.freeze
    UINT64_MAX = (2**64) - 1
    PASS_THROUGH = [Encoding::UTF_8, Encoding::US_ASCII, Encoding::BINARY].freeze

    module_function

    # A String or Symbol as a NUL-free string. Non-UTF-8 encodings are
    # transcoded; bytes that are not UTF-8 are left for the library to refuse.
    def text(value, what)
      string = value.is_a?(Symbol) ? value.name : value
      invalid!("#{what} must be a String, got #{value.class}") unless string.is_a?(String)
      string = string.encode(Encoding::UTF_8) unless PASS_THROUGH.include?(string.encoding)
      invalid!("#{what} contains a NUL byte") if string.include?("\0")
      string
    rescue EncodingError => e
      invalid!("#{what} cannot be converted to UTF-8: #{e.message}")
    end

    def optional_text(value, what)
      value.nil? ? nil : text(value, what)
    end

    # Any JSON-serializable value as JSON text.
    def json(value, what, error: InvalidArgumentError)
      JSON.generate(value)
    rescue JSON::GeneratorError, JSON::NestingError => e
      raise error.new("#{what} cannot be written as JSON: #{e.message}",
                      status: error == ConfigError ? :config : :invalid_argument)
    end

    # nil for no arguments, which the C API reads as {}; RawJSON as it is,
    # for the library to validate.
    def args_json(args)
      return nil if args.nil? || (args.is_a?(Hash) && args.empty?)
      return text(args.json, "tool arguments") if args.is_a?(RawJSON)
      invalid!("tool arguments must be a Hash or RawJSON, got #{args.class}") unless args.is_a?(Hash)

      json(args, "tool arguments")
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

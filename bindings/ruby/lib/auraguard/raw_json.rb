# frozen_string_literal: true

module AuraGuard
  # JSON text passed through as it is: tool arguments already encoded (a
  # model's tool-call arguments are JSON text), or a payload. The library
  # validates it; nothing is parsed or re-encoded on the Ruby side.
  class RawJSON
    attr_reader :json

    def initialize(json)
      raise InvalidArgumentError.new("RawJSON needs a String, got #{json.class}", status: :invalid_argument) unless json.is_a?(String)

      @json = json.frozen? ? json : json.dup.freeze
      freeze
    end

    # Embedded as it is by JSON.generate.
    def to_json(*)
      @json
    end

    def to_s
      @json
    end
  end
end

# frozen_string_literal: true

module AuraGuard
  # JSON text passed through as it is: tool arguments already encoded (a
  # model's tool-call arguments are JSON text), or a payload. The library
  # validates it; nothing is parsed or re-encoded on the Ruby side.
  class RawJSON
    attr_reader :json
    # The text when it is ASCII, which the library takes as it is (a NUL
    # byte aside, which the call refuses), else nil: checked once here
    # rather than at every call that passes the same arguments or payload.
    attr_reader :ascii

    def initialize(json)
      raise InvalidArgumentError.new("RawJSON needs a String, got #{json.class}", status: :invalid_argument) unless json.is_a?(String)

      # A copy the caller cannot change; `+` copies without #dup's call to
      # initialize_copy, which costs more than the copy for a short text.
      @json = json.frozen? ? json : (json + "").freeze
      @ascii = @json.ascii_only? ? @json : nil
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

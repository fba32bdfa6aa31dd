# frozen_string_literal: true

require "json"
require_relative "scratch"

module AuraGuard
  # A cache decision's cached result as auraguard_call_check writes it into
  # the call block: the payload's JSON text, the error code and the flags as
  # plain fields, so that only the payload is parsed, not the whole decision.
  module CachedFields
    # The four bools, a byte each from :ok on, are read as one uint32 (one
    # call instead of four): each one's mask is its byte in that integer.
    layout = Scratch::CachedResult
    BOOLS = Scratch::CACHED_AT + layout.offset_of(:ok)
    PAYLOAD_AT = Scratch::CACHED_AT + layout.offset_of(:payload_json)
    PAYLOAD_LEN_AT = Scratch::CACHED_AT + layout.offset_of(:payload_len)
    CODE_AT = Scratch::CACHED_AT + layout.offset_of(:error_code)
    CODE_LEN_AT = Scratch::CACHED_AT + layout.offset_of(:error_code_len)
    byte_mask = lambda do |field|
      byte = layout.offset_of(field) - layout.offset_of(:ok)
      byte = 3 - byte unless FFI::Platform::BYTE_ORDER == FFI::Platform::LITTLE_ENDIAN
      0xff << (8 * byte)
    end
    OK = byte_mask.call(:ok)
    CACHED = byte_mask.call(:cached)
    EXECUTED = byte_mask.call(:side_effect_executed)
    KEPT = byte_mask.call(:payload_kept)

    # What Decision.from_json parses a decision with.
    PARSE = { symbolize_names: true, freeze: true }.freeze

    # The last payload parsed, [text, value]: a repeated call is answered
    # from the cache with the same payload again and again, and parsing it
    # costs more than the rest of the call. The value is frozen through and
    # through, so decisions may share it. Threads may race to replace it;
    # each pair is whole, so any of them is right.
    @last_payload = nil

    module_function

    # The cached result in the call block `call` (an auraguard_call's
    # pointer) as Decision#cached_result holds it ({ok:, payload:,
    # error_code:, cached:, side_effect_executed:, payload_kept:}, frozen
    # through and through).
    def read(call)
      json = Scratch.text_at(call.get_uint64(PAYLOAD_AT), call.get_uint64(PAYLOAD_LEN_AT))
      last = @last_payload
      payload = if last && last[0] == json
                  last[1]
                else
                  parsed = JSON.parse(json, PARSE)
                  @last_payload = [json, parsed].freeze
                  parsed
                end
      code_at = call.get_uint64(CODE_AT)
      bools = call.get_uint32(BOOLS)
      {
        ok: bools & OK != 0,
        payload: payload,
        error_code: code_at == 0 ? nil : Scratch.text_at(code_at, call.get_uint64(CODE_LEN_AT)).freeze,
        cached: bools & CACHED != 0,
        side_effect_executed: bools & EXECUTED != 0,
        payload_kept: bools & KEPT != 0
      }.freeze
    end

    # The cached result as the decision's JSON holds it, for Decision#to_h:
    # the engine writes payload_kept only when it is false.
    def as_json(cached)
      return cached unless cached[:payload_kept]

      cached.reject { |key, _| key == :payload_kept }.freeze
    end
  end
end

# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "decision"
require_relative "scratch"
require_relative "cached_fields"

module AuraGuard
  # Reads the Decision that auraguard_check_tool_fast wrote into a scratch
  # block. A plain decision is a few memory reads and one object; only a
  # decision with rare fields (the details handle) is read further: a cache
  # through the cached-result accessor (CachedFields), the others (escalate,
  # rewrite, finalize, a warning, a reason made for the call) from JSON.
  module StructDecision
    layout = Scratch::CheckResult
    ACTION = layout.offset_of(:action)
    FLAGS = layout.offset_of(:flags)
    CALL_ID_AT = layout.offset_of(:call_id)
    LEASE_AT = layout.offset_of(:lease_ms)
    RETRY_AFTER_AT = layout.offset_of(:retry_after_ms)
    KEY_AT = layout.offset_of(:idempotency_key)
    KEY_LEN = 32

    # auraguard_check_flag.
    CALL_ID = 1
    IDEMPOTENCY_KEY = 2
    LEASE = 4
    RETRY_AFTER = 8
    DETAILS = 16

    # The library's static reason strings by address: without a details
    # handle the reason is one of a few static strings, each read once.
    STATIC_REASONS = {}
    STATIC_REASONS_LOCK = Mutex.new

    module_function

    def read(scratch)
      result = scratch[Scratch::RESULT]
      flags = result.get_uint32(FLAGS)
      code = result.get_int32(ACTION)
      action = Decision::ACTIONS[code] || Decision::ACTIONS.fetch(code)
      fields = scratch[Scratch::RESULT_FIELDS]
      return details(fields, action, flags, scratch) if flags & DETAILS != 0

      reason = STATIC_REASONS[fields[:reason]] || static_reason(fields)
      # A plain allow: its call id, nothing else.
      return Decision.new(action, reason, result.get_uint64(CALL_ID_AT)) if flags == CALL_ID

      Decision.new(action, reason,
                   flags & CALL_ID == 0 ? nil : result.get_uint64(CALL_ID_AT),
                   flags & IDEMPOTENCY_KEY == 0 ? nil : result.get_bytes(KEY_AT, KEY_LEN).force_encoding(Encoding::UTF_8).freeze,
                   flags & LEASE == 0 ? nil : result.get_uint64(LEASE_AT),
                   flags & RETRY_AFTER == 0 ? nil : result.get_uint64(RETRY_AFTER_AT))
    end

    # A decision with rare fields, in a handle the caller owns and frees: a
    # cache with nothing else through the cached-result accessor, the rest
    # from JSON.
    def details(fields, action, flags, scratch)
      handle = fields[:details]
      begin
        if action == :cache && flags == DETAILS &&
           (cached = CachedFields.read(handle, scratch[Scratch::CACHED], scratch[Scratch::CACHED_FIELDS]))
          # The reason belongs to the handle: read before it is freed.
          reason = Scratch::MEMORY.get_bytes(fields[:reason] - 1, fields[:reason_len]).force_encoding(Encoding::UTF_8).freeze
          return Decision.new(:cache, reason, nil, nil, nil, nil, cached)
        end

        Decision.from_json(Native.auraguard_decision_json(handle))
      ensure
        Native.auraguard_decision_free(handle)
      end
    end

    # The decision in a handle (an address) the caller owns, read from its
    # JSON; the handle is freed.
    def from_json(handle)
      Decision.from_json(Native.auraguard_decision_json(handle))
    ensure
      Native.auraguard_decision_free(handle)
    end

    def reason_text(fields)
      Scratch.text_at(fields[:reason], fields[:reason_len]).freeze
    end

    def static_reason(fields)
      address = fields[:reason]
      STATIC_REASONS_LOCK.synchronize { STATIC_REASONS[address] ||= reason_text(fields) }
    end
  end
end

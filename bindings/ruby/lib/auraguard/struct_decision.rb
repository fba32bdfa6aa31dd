# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "decision"
require_relative "scratch"
require_relative "cached_fields"

module AuraGuard
  # Reads the Decision that auraguard_call_check wrote into a call block
  # (Scratch). FastPath reads a plain allow and a repeated cache hit inline
  # from the block's summary word; the rest comes here: a cache hit on a
  # result the block did not keep before, and every decision with more
  # fields (an idempotency key, a lease, a details handle, ...).
  module StructDecision
    layout = Scratch::CheckResult
    at = Scratch::RESULT_AT
    CALL_ID_AT = at + layout.offset_of(:call_id)
    LEASE_AT = at + layout.offset_of(:lease_ms)
    RETRY_AFTER_AT = at + layout.offset_of(:retry_after_ms)
    REASON_AT = at + layout.offset_of(:reason)
    REASON_LEN_AT = at + layout.offset_of(:reason_len)
    DETAILS_AT = at + layout.offset_of(:details)
    KEY_AT = at + layout.offset_of(:idempotency_key)
    KEY_LEN = 32

    # auraguard_check_flag.
    CALL_ID = 1
    IDEMPOTENCY_KEY = 2
    LEASE = 4
    RETRY_AFTER = 8
    DETAILS = 16
    KEPT = 32

    # The summary word's low 16 bits of a plain allow: action 0, flags CALL_ID.
    PLAIN_ALLOW = CALL_ID << 8

    # The library's fixed reason codes by their number (the summary's bits
    # 16 to 31), each read once from the first decision that has it.
    REASONS = []
    REASONS_LOCK = Mutex.new

    module_function

    # The decision in `call` (the block's auraguard_call) whose summary word is
    # `summary`; `block` is the Scratch block, for a kept cached result.
    def read(block, call, summary)
      action = Decision::ACTIONS[summary & 0xff] || Decision::ACTIONS.fetch(summary & 0xff)
      flags = (summary >> 8) & 0xff
      number = (summary >> 16) & 0xffff
      return kept(block, call, summary, number) if flags == KEPT
      return details(call, action, number) if flags & DETAILS != 0

      Decision.new(action, REASONS[number] || reason(call, number),
                   flags & CALL_ID == 0 ? nil : call.get_uint64(CALL_ID_AT),
                   flags & IDEMPOTENCY_KEY == 0 ? nil : call.get_bytes(KEY_AT, KEY_LEN).force_encoding(Encoding::UTF_8).freeze,
                   flags & LEASE == 0 ? nil : call.get_uint64(LEASE_AT),
                   flags & RETRY_AFTER == 0 ? nil : call.get_uint64(RETRY_AFTER_AT))
    end

    # A cache hit whose cached result the block keeps, read from the block
    # and remembered with its summary: the next hit on the same stored
    # result has the same summary and gets the same (frozen) Decision.
    def kept(block, call, summary, number)
      reason = REASONS[number] || reason(call, number)
      decision = Decision.new(:cache, reason, nil, nil, nil, nil, CachedFields.read(call))
      block[Scratch::MEMO_DECISION] = decision
      block[Scratch::MEMO_SUMMARY] = summary
      decision
    end

    # A decision with rare fields, in a handle the caller owns and frees,
    # read from its JSON.
    def details(call, _action, _number)
      from_json(call.get_uint64(DETAILS_AT))
    end

    # The decision in a handle (an address) the caller owns, read from its
    # JSON; the handle is freed.
    def from_json(handle)
      Decision.from_json(Native.auraguard_decision_json(handle))
    ensure
      Native.auraguard_decision_free(handle)
    end

    # Reason number `number` (not 0), read from the block the first time.
    def reason(call, number)
      raise InternalError.new("the library gave a decision without a reason", status: :internal) if number == 0

      text = Scratch.text_at(call.get_uint64(REASON_AT), call.get_uint64(REASON_LEN_AT)).freeze
      REASONS_LOCK.synchronize { REASONS[number] ||= text }
    end
  end
end

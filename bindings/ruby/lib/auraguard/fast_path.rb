# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "native_call"
require_relative "decision"
require_relative "arguments"
require_relative "raw_json"

module AuraGuard
  # The hot path beneath Guard#check_tool, #record_result and #check_output:
  # the library fills a packed struct (read through FFI::Struct) instead of
  # writing JSON, takes the result's fields as parameters, and reads text as
  # pointer and length straight from the Ruby strings (RawJSON arguments and
  # payloads are passed as they are). Only a decision with rare fields (a
  # cached result, an escalation packet, injected text) is read from JSON.
  module FastPath
    # auraguard_check_result of include/auraguard.h.
    class CheckResult < FFI::Struct
      layout :action, :int,
             :flags, :uint32,
             :call_id, :uint64,
             :lease_ms, :uint64,
             :retry_after_ms, :uint64,
             :reason, :pointer,
             :reason_len, :size_t,
             :details, :pointer,
             :idempotency_key, [:char, 33]
    end

    # auraguard_check_flag.
    CALL_ID = 1
    IDEMPOTENCY_KEY = 2
    LEASE = 4
    RETRY_AFTER = 8
    DETAILS = 16

    SIDE_EFFECT_EXECUTED = { nil => -1, false => 0, true => 1 }.freeze
    POOL = :__auraguard_check_results
    # The library's static reason strings, by address.
    STATIC_REASONS = {}
    STATIC_REASONS_LOCK = Mutex.new

    module_function

    # Yields a CheckResult and an error slot of this thread's pool.
    def with_result
      pool = (Thread.current[POOL] ||= [])
      slot = pool.pop || [CheckResult.new, FFI::MemoryPointer.new(:pointer), FFI::MemoryPointer.new(:pointer)]
      slot[1].put_pointer(0, nil)
      slot[2].put_pointer(0, nil)
      begin
        yield(*slot)
      ensure
        pool.push(slot)
      end
    end

    # A result's fields as auraguard_record_result_fast takes them, refused
    # (InvalidArgumentError naming the field) when the library could not
    # read them: [ok, payload_json, error_code, side_effect_executed, call_id].
    def result_fields(ok, payload, error_code, side_effect_executed, call_id)
      Arguments.invalid!("result field `ok` must be true or false") unless [true, false].include?(ok)
      executed = SIDE_EFFECT_EXECUTED.fetch(side_effect_executed) do
        Arguments.invalid!("result field `side_effect_executed` must be true, false or null")
      end
      unless call_id.nil? || (call_id.is_a?(Integer) && call_id.between?(1, Arguments::UINT64_MAX))
        Arguments.invalid!(if call_id == 0
                             "call_id 0 does not await a result (never issued, already recorded, or dropped as missed)"
                           else
                             "result field `call_id` must be a non-negative integer or null"
                           end)
      end
      [ok, payload_json(payload), error_code.nil? ? nil : Arguments.text(error_code.to_s, "error_code"),
       executed, call_id || 0]
    end

    # nil stays absent (null); RawJSON passes as it is; anything else is written as JSON.
    def payload_json(payload)
      return nil if payload.nil?
      return Arguments.text(payload.json, "payload") if payload.is_a?(RawJSON)

      Arguments.text(Arguments.json(payload, "result"), "payload")
    end

    def check_tool(pointer, tool, args_json, ticket, flag)
      with_result do |result, err, _|
        status = Native.auraguard_check_tool_fast(pointer, tool, tool.bytesize, args_json, args_json ? args_json.bytesize : 0,
                                                  ticket, ticket ? ticket.bytesize : 0, flag, result, err)
        NativeCall.check!(status, err)
        decision(result)
      end
    end

    def record_result(pointer, ok, payload_json, error_code, side_effect_executed, call_id)
      with_result do |_, err, _|
        status = Native.auraguard_record_result_fast(pointer, call_id, ok, payload_json,
                                                     payload_json ? payload_json.bytesize : 0,
                                                     error_code, error_code ? error_code.bytesize : 0,
                                                     side_effect_executed, err)
        NativeCall.check!(status, err)
      end
      nil
    end

    def check_output(pointer, text)
      with_result do |_, err, out|
        status = Native.auraguard_check_output_fast(pointer, text, text.bytesize, out, err)
        NativeCall.check!(status, err)
        handle = out.read_pointer
        next nil if handle.null?

        begin
          Decision.from_json(Native.auraguard_decision_json(handle))
        ensure
          Native.auraguard_decision_free(handle)
        end
      end
    end

    def decision(result)
      details = result[:details]
      unless details.null?
        begin
          return Decision.from_json(Native.auraguard_decision_json(details))
        ensure
          Native.auraguard_decision_free(details)
        end
      end
      flags = result[:flags]
      data = { action: Decision::ACTIONS.fetch(result[:action]), reason: static_reason(result) }
      data[:call_id] = result[:call_id] if flags & CALL_ID != 0
      data[:idempotency_key] = result[:idempotency_key].to_ptr.read_string(32).force_encoding(Encoding::UTF_8).freeze if flags & IDEMPOTENCY_KEY != 0
      data[:lease_ms] = result[:lease_ms] if flags & LEASE != 0
      data[:retry_after_ms] = result[:retry_after_ms] if flags & RETRY_AFTER != 0
      Decision.new(data.freeze)
    end

    def static_reason(result)
      pointer = result[:reason]
      STATIC_REASONS[pointer.address] || STATIC_REASONS_LOCK.synchronize do
        STATIC_REASONS[pointer.address] ||= pointer.read_string(result[:reason_len]).force_encoding(Encoding::UTF_8).freeze
      end
    end
  end
end

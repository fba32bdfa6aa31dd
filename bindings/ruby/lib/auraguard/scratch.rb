# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "native_call"

module AuraGuard
  # The native memory a hot-path call hands the library: an auraguard_call
  # block of include/auraguard.h (the guard, the decision the check wrote,
  # a cache hit's cached result and the error message, made by
  # auraguard_call_new and freed with its guard by the Handle's Release), and for
  # check_output the `auraguard_decision **` and `char **error_out` slots.
  #
  # Each guard's Handle keeps the blocks it made and lends one to each
  # call. A block is an Array of its parts, indexed by the constants below:
  # reading an Array element costs a fraction of a method call. Two of its
  # elements change: the decision made for the cached result the library
  # keeps in the block, and the summary word it was made for (MEMO_*).
  module Scratch
    # auraguard_check_result of include/auraguard.h. Pointers are read as
    # their addresses (uintptr_t): a Pointer object for each would cost more
    # than the read, and the addresses are only passed back to the library or
    # read through MEMORY.
    class CheckResult < FFI::Struct
      layout :action, :int,
             :flags, :uint32,
             :call_id, :uint64,
             :lease_ms, :uint64,
             :retry_after_ms, :uint64,
             :reason, :uintptr_t,
             :reason_len, :size_t,
             :details, :uintptr_t,
             :idempotency_key, [:char, 33]
    end

    # auraguard_cached_result of include/auraguard.h.
    class CachedResult < FFI::Struct
      layout :payload_json, :uintptr_t,
             :payload_len, :size_t,
             :error_code, :uintptr_t,
             :error_code_len, :size_t,
             :ok, :bool,
             :cached, :bool,
             :side_effect_executed, :bool,
             :payload_kept, :bool
    end

    # auraguard_call of include/auraguard.h.
    class Call < FFI::Struct
      layout :guard, :uintptr_t,
             :summary, :uint64,
             :result, CheckResult,
             :cached, CachedResult,
             :error, :uintptr_t,
             :kept, :uintptr_t,
             :kept_count, :uint64
    end

    # The parts of a block: the auraguard_call (an FFI::Pointer: fields are
    # read from it at the offsets below), its address (what the calls
    # take), the memo of its kept cached result, check_output's two slots.
    CALL = 0
    ADDRESS = 1
    MEMO_SUMMARY = 2
    MEMO_DECISION = 3
    OUT = 4
    ERROR = 5

    SUMMARY_AT = Call.offset_of(:summary)
    RESULT_AT = Call.offset_of(:result)
    CACHED_AT = Call.offset_of(:cached)
    ERROR_AT = Call.offset_of(:error)

    # The whole address space as offsets from 1, to read text the library
    # wrote at an address without making a Pointer object per read (ffi
    # reads nothing through a NULL pointer, hence 1).
    MEMORY = FFI::Pointer.new(1)

    module_function

    # A new block for the guard `pointer`, to be freed by `release` (the
    # guard's Release): [call, address, memo_summary,
    # memo_decision, out, error]; out and error are nil until #out_slots.
    def block(pointer, release)
      call = NativeCall.with_out_pointers do |out, err|
        NativeCall.check!(Native.auraguard_call_new(pointer, out, err), err)
        release.adopt(out.read_pointer)
      end
      [call, call.address, nil, nil, nil, nil]
    end

    # check_output's two out-parameters in `block`, made on its first
    # check_output (the block is its caller's alone meanwhile): a
    # MemoryPointer and its second half cost about 6,500 instructions, two
    # thirds of what a block costs to make, and many guards check only
    # tool calls. Returns the first (out); the second (error) is set too.
    def out_slots(block)
      slots = FFI::MemoryPointer.new(:pointer, 2)
      block[ERROR] = slots + FFI.type_size(:pointer)
      block[OUT] = slots
    end

    # `length` bytes at `address` as a UTF-8 String.
    def text_at(address, length)
      MEMORY.get_bytes(address - 1, length).force_encoding(Encoding::UTF_8)
    end
  end
end

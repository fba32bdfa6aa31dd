# frozen_string_literal: true

require "ffi"

module AuraGuard
  # The native memory a hot-path call hands the library for its outputs: an
  # auraguard_check_result, the `char **error_out` slot, the
  # `auraguard_decision **` slot of check_output and an
  # auraguard_cached_result, in one zeroed block.
  #
  # Allocating an FFI::MemoryPointer costs more than the native call itself,
  # so each guard's Handle keeps the blocks it made and lends one to each
  # call. A block is a frozen Array of its parts, indexed by the constants
  # below: reading an Array element costs a fraction of a method call.
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

    # The parts of a block: each struct's memory (fixed-width fields are
    # read straight from it, a little cheaper than through the struct) and
    # the struct (for pointer-sized fields), and the two slots.
    RESULT = 0
    RESULT_FIELDS = 1
    ERROR = 2
    OUT = 3
    CACHED = 4
    CACHED_FIELDS = 5

    ERROR_AT = CheckResult.size
    OUT_AT = ERROR_AT + FFI.type_size(:pointer)
    CACHED_AT = OUT_AT + FFI.type_size(:pointer)
    SIZE = CACHED_AT + CachedResult.size

    # The whole address space as offsets from 1, to read text the library
    # wrote at an address without making a Pointer object per read (ffi
    # reads nothing through a NULL pointer, hence 1).
    MEMORY = FFI::Pointer.new(1)

    module_function

    # A new zeroed block: [result, result_fields, error, out, cached, cached_fields].
    def block
      memory = FFI::MemoryPointer.new(:uint8, SIZE)
      cached = memory + CACHED_AT
      [memory, CheckResult.new(memory), memory + ERROR_AT, memory + OUT_AT, cached, CachedResult.new(cached)].freeze
    end

    # `length` bytes at `address` as a UTF-8 String.
    def text_at(address, length)
      MEMORY.get_bytes(address - 1, length).force_encoding(Encoding::UTF_8)
    end
  end
end

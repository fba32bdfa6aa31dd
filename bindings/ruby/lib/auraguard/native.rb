# frozen_string_literal: true

require "ffi"
require_relative "errors"
require_relative "library_path"

module AuraGuard
  # The C API of libauraguard, one attach_function per exported function.
  # Everything here is raw: strings out are pointers the caller must release
  # with auraguard_string_free. Guard wraps it into Ruby objects.
  module Native
    extend FFI::Library

    begin
      ffi_lib LibraryPath.resolve
    rescue LoadError => e
      raise LibraryNotFound,
            "libauraguard not found (#{e.message.lines.first&.strip}). Build it with `make build` " \
            "in the repository, install it on the library path, or set AURAGUARD_LIB to the .so file"
    end

    # void (*auraguard_event_fn)(const char *event_json, void *user_data)
    callback :auraguard_event_fn, %i[string pointer], :void

    # Statuses are returned as plain ints; AuraGuard::STATUS_ERRORS maps them.
    attach_function :auraguard_guard_new, %i[string pointer pointer], :int
    attach_function :auraguard_guard_free, [:pointer], :void
    attach_function :auraguard_check_tool, %i[pointer string string string int32 pointer pointer], :int
    attach_function :auraguard_record_result, %i[pointer string pointer], :int
    attach_function :auraguard_check_output, %i[pointer string pointer pointer], :int
    attach_function :auraguard_record_tokens, %i[pointer uint64 uint64 double pointer], :int
    attach_function :auraguard_stats_json, %i[pointer pointer pointer], :int
    attach_function :auraguard_report_json, %i[pointer pointer pointer], :int
    attach_function :auraguard_report_text, %i[pointer pointer pointer], :int
    attach_function :auraguard_state_save, %i[pointer pointer pointer], :int
    attach_function :auraguard_state_load, %i[pointer string pointer], :int
    attach_function :auraguard_reset, %i[pointer pointer], :int
    attach_function :auraguard_set_event_callback, %i[pointer auraguard_event_fn pointer pointer], :int
    # The hot path (AuraGuard::FastPath): text as pointer and length, the
    # decision as a struct.
    attach_function :auraguard_check_tool_fast,
                    %i[pointer buffer_in size_t buffer_in size_t buffer_in size_t int32 pointer pointer], :int
    attach_function :auraguard_record_result_fast,
                    %i[pointer uint64 bool buffer_in size_t buffer_in size_t int32 pointer], :int
    attach_function :auraguard_check_output_fast, %i[pointer buffer_in size_t pointer pointer], :int
    # The call blocks (AuraGuard::Scratch): the hot path of check_tool and
    # record_result. A block travels as its address, and text as Ruby
    # Strings that ffi hands over NUL-terminated (refusing a NUL byte inside
    # with ArgumentError before the call): every parameter costs about 300
    # machine instructions, the pointer-and-length functions above take ten.
    attach_function :auraguard_call_new, %i[pointer pointer pointer], :int
    attach_function :auraguard_call_free, [:pointer], :void
    attach_function :auraguard_call_check, %i[uintptr_t string string string int32], :int
    attach_function :auraguard_call_record, %i[uintptr_t uint64 bool string string int32], :int
    # The usual result, a success with no error code and the default
    # side_effect_executed: three parameters instead of six.
    attach_function :auraguard_call_record_ok, %i[uintptr_t uint64 string], :int
    # A decision handle travels as its address, an Integer read from the
    # check result struct: a Pointer object for it would cost more than the
    # call (a pointer and a uintptr_t are passed alike).
    attach_function :auraguard_decision_json, [:uintptr_t], :string
    attach_function :auraguard_decision_cached_result, %i[uintptr_t pointer], :bool
    attach_function :auraguard_decision_free, [:uintptr_t], :void
    attach_function :auraguard_string_free, [:pointer], :void
    attach_function :auraguard_version, [], :string
    attach_function :auraguard_status_name, [:int], :string
  end
end

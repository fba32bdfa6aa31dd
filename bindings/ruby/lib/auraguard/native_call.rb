# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "errors"

module AuraGuard
  # The calling convention shared by every fallible C function: trailing out
  # pointers, a status, a message in error_out on failure, and strings owned
  # by the caller. This module turns that into return values and exceptions.
  module NativeCall
    module_function

    # Calls a function whose last two parameters are `char **out, char **error_out`
    # and returns the out string (nil when the library wrote NULL).
    def string_out(function, *args)
      out = FFI::MemoryPointer.new(:pointer)
      err = FFI::MemoryPointer.new(:pointer)
      check!(Native.public_send(function, *args, out, err), err)
      take_string(out.read_pointer)
    end

    # Calls a function whose only out parameter is `char **error_out`.
    def status_only(function, *args)
      err = FFI::MemoryPointer.new(:pointer)
      check!(Native.public_send(function, *args, err), err)
      nil
    end

    # Raises the error class for a non-zero status, with the native message.
    def check!(status, err)
      return if status.zero?

      message = take_string(err.read_pointer) || Native.auraguard_status_name(status)
      symbol, klass = STATUS_ERRORS.fetch(status) { [:unknown, InternalError] }
      raise klass.new(message, status: symbol)
    end

    # Copies a library-owned string into Ruby and releases the original.
    def take_string(ptr)
      return nil if ptr.null?

      begin
        ptr.read_string.force_encoding(Encoding::UTF_8)
      ensure
        Native.auraguard_string_free(ptr)
      end
    end
  end
end

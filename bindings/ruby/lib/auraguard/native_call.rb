# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "errors"

module AuraGuard
  # The calling convention shared by every fallible C function: trailing out
  # pointers, a status, a message in error_out on failure, and strings owned
  # by the caller. This module turns that into return values and exceptions.
  module NativeCall
    POOL = :__auraguard_out_pointers

    module_function

    # Calls a function whose last two parameters are `char **out, char **error_out`
    # and returns the out string (nil when the library wrote NULL).
    def string_out(function, *args)
      with_out_pointers do |out, err|
        check!(Native.public_send(function, *args, out, err), err)
        take_string(out.read_pointer)
      end
    end

    # Calls a function whose only out parameter is `char **error_out`.
    def status_only(function, *args)
      with_out_pointers do |_out, err|
        check!(Native.public_send(function, *args, err), err)
      end
      nil
    end

    # Yields two NULL-initialised `char *` slots. Allocating them costs more
    # than many native calls, so each thread keeps a pool; a pool rather than
    # one pair because an event callback may call the library again while the
    # outer call's slots are still in use.
    def with_out_pointers
      pool = (Thread.current[POOL] ||= [])
      pair = pool.pop || [FFI::MemoryPointer.new(:pointer), FFI::MemoryPointer.new(:pointer)]
      pair[0].put_pointer(0, nil)
      pair[1].put_pointer(0, nil)
      begin
        yield pair[0], pair[1]
      ensure
        pool.push(pair)
      end
    end

    # Raises the error class for a non-zero status, with the native message.
    def check!(status, err)
      return if status.zero?

      raise_status(status, take_string(err.read_pointer))
    end

    # Raises the error class for a non-zero status with the library's
    # message (nil: the status's name).
    def raise_status(status, message)
      message ||= Native.auraguard_status_name(status)
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

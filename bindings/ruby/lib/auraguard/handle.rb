# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "errors"

module AuraGuard
  # Owns a native guard pointer and decides when it may be freed.
  #
  # The C API allows any number of threads to use a guard at once but requires
  # that nobody is inside a call when it is freed. Event callbacks run Ruby
  # code in the middle of a native call, so another Ruby thread (or the
  # callback itself) may ask to close while calls are in flight. Calls are
  # therefore counted: #close marks the handle closed at once (new calls raise
  # ClosedError) and the pointer is freed by whoever leaves last.
  #
  # The same count tells when replaced event callbacks can no longer be
  # invoked by a call that read them earlier, so they are kept until then.
  class Handle
    def initialize(ptr)
      @pointer = FFI::AutoPointer.new(ptr, Native.method(:auraguard_guard_free))
      @lock = Mutex.new
      @in_flight = 0
      @closed = false
      @retired = []
    end

    # Yields the pointer for one native call.
    def use
      @lock.synchronize do
        raise ClosedError, "the guard is closed" if @closed

        @in_flight += 1
      end
      begin
        yield @pointer
      ensure
        leave
      end
    end

    # Keeps an object (a replaced callback) alive until no call is in flight.
    def retire(object)
      @lock.synchronize { @retired << object } if object
    end

    def close
      pointer = @lock.synchronize do
        return if @closed

        @closed = true
        detach if @in_flight.zero?
      end
      pointer&.free
      nil
    end

    def closed?
      @closed
    end

    private

    def leave
      pointer = @lock.synchronize do
        @in_flight -= 1
        next unless @in_flight.zero?

        @retired.clear
        detach if @closed
      end
      pointer&.free
    end

    # Called under the lock: hands the pointer to exactly one caller to free.
    def detach
      pointer = @pointer
      @pointer = nil
      pointer
    end
  end
end

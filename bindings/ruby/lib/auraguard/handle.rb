# frozen_string_literal: true

require "ffi"
require_relative "native"
require_relative "errors"
require_relative "scratch"
require_relative "release"
require_relative "fast_path"

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
  # The count costs no lock: every call borrows one of the handle's scratch
  # blocks (Scratch) from an Array, whose pop and push are atomic (under
  # CRuby's global VM lock each is one C function that neither releases the
  # lock nor calls back into Ruby; a Thread::Queue, atomic by design, costs
  # some 40 ns more per call), so the calls in flight are the blocks made
  # less the blocks idle. A call
  # checks `@closed` after taking its block and #close sets it before
  # counting, so either the call sees the handle closed (and gives the block
  # back unused) or #close sees the call in flight (and leaves the freeing to
  # it). The Mutex only guards making blocks and handing the pointer to its
  # one freer. FastPath, mixed in, makes the hot-path calls this way inline.
  class Handle
    include FastPath

    # `ptr`: a new native guard (FFI::Pointer), freed by this handle.
    def initialize(ptr)
      @release = Release.new
      @pointer = FFI::AutoPointer.new(ptr, @release)
      # One block made now, so that a guard used by one thread at a time
      # never finds the pool empty (a fresh block takes the handle's lock).
      @idle = []
      @idle.push(Scratch.block(@pointer, @release))
      @made = 1
      @closed = false
      @lock = Mutex.new
    end

    # Yields the pointer for one native call.
    def use
      scratch = take
      begin
        yield @pointer
      ensure
        give(scratch)
      end
    end

    # The blocks not lent out; a Guard lends from the same Array.
    attr_reader :idle

    def close
      @closed = true
      free_if_idle
      nil
    end

    def closed?
      @closed
    end

    private

    # Counts a call in: a scratch block for it alone. Raises ClosedError
    # once #close was called.
    def take
      scratch = @idle.pop || fresh_scratch
      closed!(scratch) if @closed
      scratch
    end

    # None idle: one more call at once than ever before. Counted once made:
    # a block that could not be made is never given back.
    def fresh_scratch
      # Made and counted under the lock that #close frees under: a block is
      # never made for a guard being freed.
      @lock.synchronize do
        raise ClosedError, "the guard is closed" if @pointer.nil?

        block = Scratch.block(@pointer, @release)
        @made += 1
        block
      end
    end

    # A call that took `scratch` after #close: gives it back and raises.
    def closed!(scratch)
      give(scratch)
      raise ClosedError, "the guard is closed"
    end

    # Counts a call out; the last call out of a closed handle frees it.
    def give(scratch)
      @idle.push(scratch)
      free_if_idle if @closed
    end

    def free_if_idle
      pointer = @lock.synchronize do
        next unless @pointer && @idle.size == @made

        taken = @pointer
        @pointer = nil
        taken
      end
      pointer&.free
    end
  end
end

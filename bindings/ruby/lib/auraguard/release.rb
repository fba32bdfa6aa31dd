# frozen_string_literal: true

require_relative "native"

module AuraGuard
  # Frees one native guard and the call blocks made for it: the releaser of
  # the guard's FFI::AutoPointer, which calls it once, when the guard is
  # closed and no call is using it or when the pointer is collected
  # unclosed.
  #
  # The blocks belong to the guard and go with it, rather than each having
  # an AutoPointer of its own: an AutoPointer (its releaser object and its
  # finalizer) cost about 16,000 machine instructions to make and free, and
  # a block's was a sixth of Guard.new. It holds addresses only, never the
  # Handle, so that the Handle can be collected.
  class Release
    def initialize
      @blocks = []
      @released = false
    end

    # Counts a block (an FFI::Pointer to an auraguard_call) in, to be freed
    # with the guard; returns it. Called under the Handle's lock.
    def adopt(block)
      @blocks << block
      block
    end

    # Frees `guard` and the blocks; the AutoPointer calls it once.
    def call(guard)
      @released = true
      # A block does not own its guard and may be freed after it.
      Native.auraguard_guard_free(guard)
      @blocks.each { |block| Native.auraguard_call_free(block) }
      @blocks.clear
      nil
    end

    def released?
      @released
    end
  end
end

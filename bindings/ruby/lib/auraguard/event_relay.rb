# frozen_string_literal: true

require "ffi"
require "json"

module AuraGuard
  # Carries events from the library to a guard's block without running the
  # block inside the library's call.
  #
  # The native callback only copies the event into the calling thread's
  # queue, with asynchronous interrupts (Thread#raise, Thread#kill) held
  # off, so no Ruby exception or non-local exit can unwind through the
  # library's frames. The guard runs its block on the queued events once
  # the native call has returned.
  module EventRelay
    QUEUE = :__auraguard_events

    module_function

    # The one auraguard_event_fn a guard registers, for its whole life.
    def function
      FFI::Function.new(:void, %i[string pointer]) do |json, _user_data|
        Thread.handle_interrupt(Object => :never) do
          (Thread.current[QUEUE] ||= []) << json
        rescue Exception # rubocop:disable Lint/RescueException -- must not unwind into native code
          nil
        end
      end
    end

    # The events the last native call of this thread delivered.
    def take
      queue = Thread.current[QUEUE]
      return nil if queue.nil? || queue.empty?

      Thread.current[QUEUE] = nil
      queue
    end
  end

  # The first exception the event block raised during one guard method,
  # re-raised once that method's work is done; for Guard#run, also the
  # events held until the call is recorded.
  class HandlerFaults
    attr_reader :held

    def initialize
      @first = nil
      @held = []
    end

    def hold(events)
      @held.concat(events)
      nil
    end

    def run(block, event)
      block.call(event)
    rescue Exception => e # rubocop:disable Lint/RescueException -- re-raised by #raise!
      @first ||= e
    end

    def raise!
      error = @first
      @first = nil
      raise error if error
    end
  end
end

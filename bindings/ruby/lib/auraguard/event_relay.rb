# frozen_string_literal: true

require "ffi"
require "json"

module AuraGuard
  # Turns a Ruby block into an auraguard_event_fn.
  #
  # The callback is entered from native code; a Ruby exception escaping it
  # would unwind through the library's frames, which is undefined behaviour.
  # So nothing escapes: an ordinary error (StandardError) is reported with
  # Kernel#warn and the guard carries on, since the decision being made must
  # still reach the caller; anything else (Interrupt, SystemExit) is held and
  # raised by Guard once the native call has returned.
  module EventRelay
    DEFERRED = :__auraguard_deferred_exception

    module_function

    def function_for(block)
      FFI::Function.new(:void, %i[string pointer]) do |json, _user_data|
        deliver(block, json)
      end
    end

    def deliver(block, json)
      block.call(JSON.parse(json, symbolize_names: true, freeze: true))
    rescue StandardError => e
      warn "auraguard: event handler raised #{e.class}: #{e.message}"
    rescue Exception => e # rubocop:disable Lint/RescueException -- must not unwind into native code
      Thread.current[DEFERRED] ||= e
    end

    # Raises what a handler held back during the last native call, if anything.
    def raise_deferred!
      error = Thread.current[DEFERRED]
      return unless error

      Thread.current[DEFERRED] = nil
      raise error
    end
  end
end

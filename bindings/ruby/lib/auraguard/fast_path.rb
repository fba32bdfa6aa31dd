# frozen_string_literal: true

require_relative "native"
require_relative "native_call"
require_relative "scratch"
require_relative "struct_decision"
require_relative "ffi_path"
require_relative "c_path"

module AuraGuard
  # The hot path beneath Guard#check_tool, #record_result and #check_output,
  # as methods of the guard's Handle (mixed in there). check_tool and
  # record_result are CPath's (the gem's C extension, ext/auraguard) when it
  # is loaded, FfiPath's otherwise (AuraGuard.hot_path says which).
  #
  # Guard includes it as well as Handle, so that Guard#check_tool and
  # #record_result are these methods themselves, not a call on to the
  # handle's (a method call of its own per check is some 900 instructions
  # in the interpreter). A guard shares its handle's idle blocks and keeps
  # its own @closed, set before the handle's; with an event callback it
  # goes through the handle's, whose @event_function is always nil.
  module FastPath
    # check_tool's default arguments: none, which the C API reads as {}.
    NO_ARGS = {}.freeze

    include(CPath.loaded? ? CPath : FfiPath)

    # A Decision, or nil when the message needs nothing (the common answer).
    def check_output(text)
      # Handle#take, written out: on this path a method call of its own is a
      # measurable share of the binding's cost (see docs/PERFORMANCE.md, Ruby).
      scratch = @idle.pop || fresh_scratch
      closed!(scratch) if @closed
      begin
        out = scratch[Scratch::OUT] || Scratch.out_slots(scratch)
        error = scratch[Scratch::ERROR]
        status = Native.auraguard_check_output_fast(@pointer, text, text.bytesize, out, error)
        unless status == 0
          begin
            NativeCall.check!(status, error)
          ensure
            error.put_pointer(0, nil)
          end
        end
        details = out.get_pointer(0) # NULL is ffi's one NULL pointer object: no allocation
      ensure
        @idle.push(scratch)
        free_if_idle if @closed
      end
      details.null? ? nil : StructDecision.from_json(details.address)
    end
  end
end

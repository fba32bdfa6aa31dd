# frozen_string_literal: true

require_relative "native"
require_relative "native_call"
require_relative "scratch"
require_relative "struct_decision"

module AuraGuard
  # The hot path beneath Guard#check_tool, #record_result and #check_output,
  # as methods of the guard's Handle (mixed in there): each takes a scratch
  # block (counting the call in), makes the native call, reads what the
  # library wrote into the block, and gives the block back (counting the
  # call out). Text goes to the library as pointer and length straight from
  # the Ruby strings, the result's fields as parameters, and the decision
  # comes back as a struct (StructDecision). In the interpreter a Ruby
  # method call costs some 300 machine instructions, against about 10,000
  # for the library's own work on a check, so these are written out rather
  # than split into helpers.
  #
  # The callers (Guard) have checked the arguments.
  module FastPath
    def check_tool(tool, args_json, ticket, flag)
      # Handle#take, written out.
      scratch = begin
        @idle.pop(true)
      rescue ThreadError
        fresh_scratch
      end
      closed!(scratch) if @closed
      begin
        status = Native.auraguard_check_tool_fast(@pointer, tool, tool.bytesize, args_json,
                                                  args_json ? args_json.bytesize : 0, ticket,
                                                  ticket ? ticket.bytesize : 0, flag,
                                                  scratch[Scratch::RESULT], scratch[Scratch::ERROR])
        # Read before the block goes back: the next call may take it.
        status == 0 ? StructDecision.read(scratch) : failed(scratch, status)
      ensure
        @idle.push(scratch)
        free_if_idle if @closed
      end
    end

    def record_result(ok, payload_json, error_code, side_effect_executed, call_id)
      # Handle#take, written out.
      scratch = begin
        @idle.pop(true)
      rescue ThreadError
        fresh_scratch
      end
      closed!(scratch) if @closed
      begin
        status = Native.auraguard_record_result_fast(@pointer, call_id, ok, payload_json,
                                                     payload_json ? payload_json.bytesize : 0,
                                                     error_code, error_code ? error_code.bytesize : 0,
                                                     side_effect_executed, scratch[Scratch::ERROR])
        failed(scratch, status) unless status == 0
      ensure
        @idle.push(scratch)
        free_if_idle if @closed
      end
      nil
    end

    # A Decision, or nil when the message needs nothing (the common answer).
    def check_output(text)
      # Handle#take, written out.
      scratch = begin
        @idle.pop(true)
      rescue ThreadError
        fresh_scratch
      end
      closed!(scratch) if @closed
      begin
        out = scratch[Scratch::OUT]
        status = Native.auraguard_check_output_fast(@pointer, text, text.bytesize, out, scratch[Scratch::ERROR])
        failed(scratch, status) unless status == 0
        details = out.get_pointer(0) # NULL is ffi's one NULL pointer object: no allocation
      ensure
        @idle.push(scratch)
        free_if_idle if @closed
      end
      details.null? ? nil : StructDecision.from_json(details.address)
    end

    private

    # Raises the status's error with the library's message, and leaves the
    # block's error slot NULL again.
    def failed(scratch, status)
      error = scratch[Scratch::ERROR]
      NativeCall.check!(status, error)
    ensure
      error.put_pointer(0, nil)
    end
  end
end

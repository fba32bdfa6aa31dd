# frozen_string_literal: true

require_relative "native"
require_relative "native_call"
require_relative "arguments"
require_relative "raw_json"
require_relative "scratch"
require_relative "struct_decision"

module AuraGuard
  # FastPath's check_tool, record_result and check_output through ffi, when
  # the C hot path (CPath) is not loaded: each checks its arguments, takes
  # a scratch block (counting the call in), makes the native call, reads
  # what the library wrote into the block, and gives the block back
  # (counting the call out).
  #
  # In the interpreter a Ruby method call costs some 200 machine
  # instructions, a C method (ascii_only?, is_a?, a field read) 250 to 300,
  # a native call through ffi about 600 plus 300 per parameter and an object
  # 1,000 with its share of the garbage collector's work; the library's own
  # work on a check is about 10,000. So these are written out rather than
  # split into helpers, the arguments' common kinds are recognised with as
  # few calls as possible, and a check is one native call with five
  # parameters: auraguard_call_check, whose block holds the guard, the
  # decision and the error. Its summary word says in one read what kind of
  # decision it is: a plain allow is that word and its call id; a cache hit
  # on the stored result the block already kept is that word alone, and the
  # Decision made for that result the first time is returned again.
  #
  # ext/auraguard/hot_path.c makes the same checks in the same order and
  # raises the same errors; test/hot_path_test.rb holds the two to that.
  module FfiPath
    # Decides on a tool call before it runs. `args` is the tool's arguments,
    # a Hash, or a JSON object as text: a String (as a model writes a tool
    # call's arguments) or AuraGuard::RawJSON; `ticket_id` names the
    # customer ticket or task (nil: the run itself); `side_effect`
    # true/false overrides the configured side_effect_tools.
    #
    # Each argument is checked in the order the errors are reported; the
    # common kind of value inline: a String of ASCII (nothing to transcode
    # or refuse; a value without ascii_only? is no String, and Arguments
    # handles it), arguments as JSON text that is ASCII. A NUL byte in such
    # text reaches ffi, which refuses it before the call; Arguments then
    # words the error.
    def check_tool(name, args = FastPath::NO_ARGS, ticket_id: nil, side_effect: nil)
      return check_tool_with(nil, name, args, ticket_id, side_effect) if @event_function

      tool = (name.ascii_only? rescue false) ? name : Arguments.text(name, "tool name") # rubocop:disable Style/RescueModifier
      args_json = if String === args
                    (args.ascii_only? && args) || Arguments.text(args, "tool arguments")
                  elsif RawJSON === args
                    args.ascii || Arguments.text(args.json, "tool arguments")
                  else
                    Arguments.args_json(args)
                  end
      ticket = if ticket_id.nil? || (ticket_id.ascii_only? rescue false) then ticket_id # rubocop:disable Style/RescueModifier
               else Arguments.text(ticket_id, "ticket_id")
               end
      flag = side_effect.nil? ? -1 : Arguments.side_effect_flag(side_effect)
      # Handle#take, written out: on this path a method call of its own is a
      # measurable share of the binding's cost (see docs/PERFORMANCE.md, Ruby).
      block = @idle.pop || fresh_scratch
      closed!(block) if @closed
      begin
        status = begin
          Native.auraguard_call_check(block[Scratch::ADDRESS], tool, args_json, ticket, flag)
        rescue ArgumentError, TypeError
          refused!(name, args_json, ticket_id)
        end
        call = block[Scratch::CALL]
        failed(call, status) unless status == 0
        # Read before the block goes back: the next call may take it.
        summary = call.get_uint64(Scratch::SUMMARY_AT)
        if summary & 0xffff == StructDecision::PLAIN_ALLOW
          Decision.new(:allow, StructDecision::REASONS[summary >> 16 & 0xffff] || StructDecision.reason(call, summary >> 16 & 0xffff),
                       call.get_uint64(StructDecision::CALL_ID_AT))
        elsif summary == block[Scratch::MEMO_SUMMARY]
          block[Scratch::MEMO_DECISION]
        else
          StructDecision.read(block, call, summary)
        end
      ensure
        @idle.push(block)
        free_if_idle if @closed
      end
    end

    # Reports how an allowed call went; nil. Without call_id the most recent
    # waiting call is meant. Pass side_effect_executed: true when a side
    # effect may have happened despite an error (a timeout after the request
    # left). A payload given as AuraGuard::RawJSON is recorded as it is.
    def record_result(ok:, payload: nil, error_code: nil, side_effect_executed: nil, call_id: nil)
      return record_with(nil, ok, payload, error_code, side_effect_executed, call_id) if @event_function

      Arguments.invalid!("result field `ok` must be true or false") unless true == ok || false == ok
      executed = side_effect_executed.nil? ? -1 : Arguments.side_effect_executed(side_effect_executed)
      id = if call_id.nil? then 0
           elsif Integer === call_id && call_id > 0 && call_id <= Arguments::FIXNUM_MAX then call_id
           else Arguments.call_id(call_id)
           end
      payload_json = if payload.nil? then nil
                     elsif RawJSON === payload then payload.ascii || Arguments.payload_json(payload)
                     else Arguments.payload_json(payload)
                     end
      code = error_code.nil? ? nil : Arguments.text(error_code.to_s, "error_code")
      # Handle#take, written out: on this path a method call of its own is a
      # measurable share of the binding's cost (see docs/PERFORMANCE.md, Ruby).
      block = @idle.pop || fresh_scratch
      closed!(block) if @closed
      begin
        status = begin
          # The usual success in three parameters: each one ffi passes costs
          # about 200 instructions.
          if ok && code.nil? && executed == -1
            Native.auraguard_call_record_ok(block[Scratch::ADDRESS], id, payload_json)
          else
            Native.auraguard_call_record(block[Scratch::ADDRESS], id, ok, payload_json, code, executed)
          end
        rescue ArgumentError
          # A NUL byte in an ASCII RawJSON payload: the only text not checked yet.
          Arguments.text(payload_json, "payload")
          raise
        end
        failed(block[Scratch::CALL], status) unless status == 0
      ensure
        @idle.push(block)
        free_if_idle if @closed
      end
      nil
    end

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

    private

    # ffi refused check_tool's text before the call (a NUL byte, or an
    # object that only looked like a String): the error Arguments gives for
    # the first such argument.
    def refused!(name, args_json, ticket_id)
      Arguments.text(name, "tool name")
      Arguments.text(args_json, "tool arguments") if args_json
      Arguments.text(ticket_id, "ticket_id") unless ticket_id.nil?
      raise
    end

    # Raises the status's error with the library's message, taken from the
    # block (and released).
    def failed(call, status)
      message = call.get_uint64(Scratch::ERROR_AT)
      call.put_uint64(Scratch::ERROR_AT, 0)
      text = message == 0 ? nil : NativeCall.take_string(FFI::Pointer.new(message))
      NativeCall.raise_status(status, text)
    end
  end
end

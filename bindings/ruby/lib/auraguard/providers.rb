# frozen_string_literal: true

require_relative "guard"
require_relative "providers/tool_call"
require_relative "providers/reader"
require_relative "providers/messages"
require_relative "providers/result_texts"
require_relative "providers/guarded_call"
require_relative "providers/turn"

module AuraGuard
  # The guard applied to provider responses in the three tool-calling formats:
  #
  # - :openai_chat         OpenAI Chat Completions: choices[0].message.tool_calls[]
  #                        in, {"role" => "tool", "tool_call_id", "content"} out;
  # - :openai_responses    OpenAI Responses: output[] items of type
  #                        function_call in, {"type" => "function_call_output",
  #                        "call_id", "output"} out;
  # - :anthropic_messages  Anthropic Messages: content[] blocks of type
  #                        tool_use in, one user message of {"type" =>
  #                        "tool_result", "tool_use_id", "content", "is_error"}
  #                        blocks out.
  #
  # Responses are taken as JSON text or as a Hash (string or symbol keys);
  # messages come out as Hashes with string keys, ready for JSON.generate or
  # a client gem. Every call of a response gets a result, because providers
  # reject a conversation with a tool call left unanswered.
  module Providers
    FORMATS = %i[openai_chat openai_responses anthropic_messages].freeze

    # A response that is not JSON, or not of the format it was read as.
    class ResponseError < Error; end

    module_function

    # The response's tool calls (ToolCall), in the model's order.
    def tool_calls(format, response)
      Reader.tool_calls(format, response)
    end

    # The assistant's text (text parts joined by a newline) for
    # Guard#check_output; nil when there is none.
    def assistant_text(format, response)
      Reader.assistant_text(format, response)
    end

    # The answer to one call: a tool message, a function_call_output item or
    # a tool_result block (see #tool_result_messages for the user message
    # that holds the blocks). The OpenAI formats carry no error flag; there
    # the text says it.
    def tool_result(format, call, text, is_error: false)
      Messages.tool_result(format, call, text, is_error)
    end

    # The messages answering every GuardedCall, in order: one per call for
    # the OpenAI formats, one user message of tool_result blocks for Messages.
    def tool_result_messages(format, guarded_calls)
      Messages.tool_result_messages(format, guarded_calls)
    end

    # Text for the model as an instruction (the guard's rewrite text): a Chat
    # Completions message of `role` ("system" by default), a Responses input
    # message of role "developer", or for Messages, which take instructions
    # only in the request's "system", a text block for that list.
    def system_message(format, text, role: nil)
      Messages.system_message(format, text, role)
    end

    # Puts one ToolCall to the guard; a GuardedCall. When #should_run?, run
    # the tool, record its result under decision.call_id and give the call its
    # text with GuardedCall#set_result; otherwise it already holds the result
    # to send. Arguments that are not a JSON object, or that the guard refuses
    # (too large), give an error result and leave the guard unchanged.
    def check(guard, call, ticket_id: nil)
      GuardedCall.check(guard, call, ticket_id)
    end

    # A whole turn: reads the calls, puts each to the guard, runs the allowed
    # ones with `tools` (name => callable taking the arguments, a Hash with
    # symbol keys, and, if it takes two, the allow Decision, whose
    # idempotency_key a side-effect tool passes on), records what they
    # returned or raised (classified as by Guard#run), and answers every call
    # in order. Once a call escalates or finalizes, the calls after it are not
    # put to the guard. A String result is sent as it is, any other as JSON.
    #
    # `max_parallel:` above 1 runs up to that many allowed calls at once, in
    # threads; the guard must then be created with `concurrency:` at least
    # that. A call the model repeated within the response is put to the guard
    # only once the earlier copy is recorded, so a duplicated side effect is
    # replayed from the ledger, never run twice.
    def run_turn(guard, format, response, tools, ticket_id: nil, max_parallel: 1)
      unless max_parallel.is_a?(Integer) && max_parallel >= 1
        raise ArgumentError, "max_parallel must be an Integer of at least 1, got #{max_parallel.inspect}"
      end
      raise ArgumentError, "tools must be a Hash of name => callable, got #{tools.class}" unless tools.is_a?(Hash)

      calls = Reader.tool_calls(format, response)
      TurnRunner.new(guard, tools, ticket_id, max_parallel).run(format, calls)
    end
  end
end

# frozen_string_literal: true

require "json"

module AuraGuard
  module Providers
    # What a call that did not run says to the model: that it did not run,
    # why, and what to do instead.
    module ResultTexts
      BLOCK_ADVICE = {
        "side_effect_limit_exceeded" =>
          "This action was already carried out in this run and may not be repeated; tell the user it is done.",
        "side_effect_in_flight" => "The same action is already being carried out; do not repeat it.",
        "identical_toolcall_loop" =>
          "You already made this exact call; use the results you have or change your approach.",
        "ledger_unavailable" => "The action cannot be carried out safely right now; do not retry it in this turn."
      }.freeze

      module_function

      def cached(cached)
        return payload_text(cached[:payload]) if cached[:ok]

        code = cached[:error_code] ? " (error #{cached[:error_code]})" : ""
        "Not executed: this exact call already failed#{code} and was not run again. " \
          "Do not retry it; continue without its result."
      end

      def blocked(reason)
        "Not executed: the guard blocked this call (#{reason}). #{block_advice(reason)}"
      end

      def rewritten(decision)
        advice = decision.injected_system.to_s.empty? ? "Do not repeat this call; change your approach." : decision.injected_system
        "Not executed (#{decision.reason}). #{advice}"
      end

      def escalated(reason)
        "Not executed: this call needs a person (#{reason}). Stop calling tools; " \
          "the conversation is being handed to a human."
      end

      def finalized(reason)
        "Not executed: the run is over (#{reason}). Do not call more tools."
      end

      def bad_arguments(call)
        "Not executed: #{call.arguments_error}. Call #{call.name} again with its arguments as one JSON object."
      end

      def refused_arguments(message)
        "Not executed: the arguments were refused (#{message}). Call the tool again with valid arguments."
      end

      def unknown_tool(name)
        "Not executed: there is no tool named #{name}. Use one of the tools you were given."
      end

      def stopped(stopper)
        "Not executed: the run was stopped by an earlier call (#{stopper.decision.reason}). Do not call more tools."
      end

      def failed(error)
        "Error: the tool failed (#{error.class.name}: #{error.message})."
      end

      # A String as it is; RawJSON as its text; anything else as JSON.
      def payload_text(value)
        case value
        when String then value
        when RawJSON then value.json
        else JSON.generate(value)
        end
      end

      def block_advice(reason)
        return BLOCK_ADVICE[reason] if BLOCK_ADVICE.key?(reason)
        if reason.start_with?("policy_missing_args:")
          return "Required arguments are missing: #{reason.delete_prefix('policy_missing_args:')}; " \
                 "call the tool again with them."
        end
        return "This tool is not permitted here; continue without it." if reason.start_with?("policy_deny:")

        "Do not repeat this call."
      end
    end
  end
end

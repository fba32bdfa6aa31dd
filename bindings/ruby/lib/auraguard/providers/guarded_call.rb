# frozen_string_literal: true

module AuraGuard
  module Providers
    # A ToolCall with the guard's answer: whether to run it and, when it did
    # not run (or once it ran, in a whole turn), the result to send for it.
    class GuardedCall
      # The ToolCall as the model asked for it.
      attr_reader :call
      # The guard's Decision; nil when the call was never put to the guard
      # (unusable arguments, a tool the host lacks, a run already stopped).
      attr_reader :decision
      # The text of the result; nil while an allowed tool has given none.
      attr_reader :result_text
      # :none, or :escalate (hand decision.escalation_packet to a person) or
      # :finalize (send decision.finalized_output), which end the run.
      attr_reader :host_action
      # Why the guard could not record the tool's result (see
      # Providers.run_turn's max_parallel:); the result still goes out.
      attr_accessor :record_error

      def self.check(guard, call, ticket_id)
        return new(call, nil, ResultTexts.bad_arguments(call), true) if call.arguments_error

        begin
          args = call.arguments_json.to_s.strip.empty? ? nil : RawJSON.new(call.arguments_json)
          decision = guard.check_tool(call.name, args, ticket_id: ticket_id)
        rescue InvalidArgumentError => e
          return new(call, nil, ResultTexts.refused_arguments(e.message), true)
        end
        from_decision(call, decision)
      end

      def self.from_decision(call, decision)
        case decision.action
        when :allow then new(call, decision, nil, false)
        when :cache
          cached = decision.cached_result
          text = cached ? ResultTexts.cached(cached) : ResultTexts.blocked(decision.reason)
          new(call, decision, text, !(cached && cached[:ok]))
        when :rewrite then new(call, decision, ResultTexts.rewritten(decision), true)
        when :escalate then new(call, decision, ResultTexts.escalated(decision.reason), true, :escalate)
        when :finalize then new(call, decision, ResultTexts.finalized(decision.reason), true, :finalize)
        else new(call, decision, ResultTexts.blocked(decision.reason), true)
        end
      end

      def initialize(call, decision, result_text, is_error, host_action = :none)
        @call = call
        @decision = decision
        @result_text = result_text
        @is_error = is_error
        @host_action = host_action
        @ran = false
        @record_error = nil
      end

      # True when the guard allowed the call: run the tool and record its
      # result under decision.call_id.
      def should_run?
        !@decision.nil? && @decision.allow?
      end

      # Whether the result is an error (not run, or the tool failed).
      def error?
        @is_error
      end

      # True when the tool ran (in a whole turn).
      def ran?
        @ran
      end

      # True when the run must stop once this turn's results are sent.
      def ends_turn?
        @host_action != :none
      end

      # Gives the call the result of the tool the host ran.
      def set_result(text, is_error: false)
        @result_text = text.to_s
        @is_error = is_error
        self
      end

      # The result in the provider's shape (see Providers.tool_result).
      def result_message(format)
        if @result_text.nil?
          raise Error, "call #{@call.id} (#{@call.name}) may run and has no result yet: run the tool and set its result first"
        end

        Messages.tool_result(format, @call, @result_text, @is_error)
      end

      # Marks the call as run; the turn runner does, when it runs the tool.
      def ran!
        @ran = true
      end

      def inspect
        "#<AuraGuard::Providers::GuardedCall #{@call} #{@decision ? "#{@decision.action} #{@decision.reason}" : 'not checked'}>"
      end
    end
  end
end

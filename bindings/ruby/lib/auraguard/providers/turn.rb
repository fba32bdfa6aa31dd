# frozen_string_literal: true

require "json"

module AuraGuard
  module Providers
    # What a whole turn came to.
    class Turn
      # :openai_chat, :openai_responses or :anthropic_messages.
      attr_reader :format
      # Every call of the response (GuardedCall), in the model's order.
      attr_reader :calls
      # The results in the provider's shape and the calls' order, to append.
      attr_reader :messages
      # The guard's rewrite instructions of the turn as system (developer)
      # messages, for hosts that inject them besides the results carrying them.
      attr_reader :system_messages
      # The call whose escalation or finalization ended the run, or nil.
      attr_reader :stopped_by

      def initialize(format, calls, stopped_by)
        @format = format
        @calls = calls.freeze
        @stopped_by = stopped_by
        @messages = Messages.tool_result_messages(format, calls).freeze
        texts = calls.filter_map { |g| g.decision.injected_system if g.decision&.rewrite? && g.decision.injected_system }
        @system_messages = texts.uniq.map { |text| Messages.system_message(format, text, nil) }.freeze
        freeze
      end

      # #messages as one JSON array.
      def messages_json
        JSON.generate(@messages)
      end

      def ends_turn?
        !@stopped_by.nil?
      end

      # :none (call the model again), :escalate or :finalize (#stopped_by's decision).
      def host_action
        @stopped_by ? @stopped_by.host_action : :none
      end
    end

    # Runs one turn: check in order, execute the allowed calls (in threads
    # when asked), record in the calls' order, answer every call.
    class TurnRunner
      def initialize(guard, tools, ticket_id, max_parallel)
        @guard = guard
        @tools = tools.transform_keys(&:to_s)
        @ticket_id = ticket_id
        @max_parallel = max_parallel
      end

      def run(format, calls)
        answered = Array.new(calls.size)
        stopper = nil
        batches(calls).each do |batch|
          allowed = []
          batch.each do |i|
            g = stopper ? GuardedCall.new(calls[i], nil, ResultTexts.stopped(stopper), true) : check(calls[i])
            answered[i] = g
            if stopper.nil? && g.ends_turn?
              stopper = g
            elsif g.should_run?
              allowed << g
            end
          end
          execute(allowed)
        end
        Turn.new(format, answered, stopper)
      end

      private

      def check(call)
        if call.arguments_error.nil? && !@tools.key?(call.name)
          return GuardedCall.new(call, nil, ResultTexts.unknown_tool(call.name), true)
        end

        GuardedCall.check(@guard, call, @ticket_id)
      end

      # One call after the other; or groups of at most max_parallel calls in
      # which no call repeats another: the n-th copy of a call goes in a group
      # after the one holding the (n-1)-th, so it is checked once that one is
      # recorded. Copies are the same tool with the same arguments, whatever
      # order the keys were written in.
      def batches(calls)
        return calls.each_index.map { |i| [i] } if @max_parallel == 1

        copies = Hash.new(0)
        waves = []
        calls.each_with_index do |call, i|
          key = [call.name, call.arguments ? canonical(call.arguments) : call.arguments_json]
          copy = copies[key]
          copies[key] += 1
          (waves[copy] ||= []) << i
        end
        waves.flat_map { |wave| wave.each_slice(@max_parallel).to_a }
      end

      def canonical(value)
        case value
        when Hash then value.sort_by { |k, _| k.to_s }.map { |k, v| [k.to_s, canonical(v)] }
        when Array then value.map { |v| canonical(v) }
        else value
        end
      end

      def execute(allowed)
        outcomes = if allowed.size <= 1
                     allowed.map { |g| invoke(g) }
                   else
                     allowed.map { |g| Thread.new { invoke(g) } }.map(&:value)
                   end
        # Recorded in the calls' order, whatever order they finished in.
        allowed.zip(outcomes).each { |g, outcome| record(g, outcome) }
      end

      # [:ok, value] or [:error, exception]; nothing escapes a thread.
      def invoke(guarded)
        tool = @tools.fetch(guarded.call.name)
        args = guarded.call.arguments
        value = tool_arity(tool) == 1 ? tool.call(args) : tool.call(args, guarded.decision)
        [:ok, value]
      rescue StandardError => e
        [:error, e]
      end

      def tool_arity(tool)
        arity = tool.respond_to?(:arity) ? tool.arity : tool.method(:call).arity
        arity == 1 ? 1 : 2
      end

      def record(guarded, outcome)
        guarded.ran!
        kind, value = outcome
        return record_failure(guarded, value) if kind == :error

        json = begin
          value.is_a?(RawJSON) ? value.json : JSON.generate(value)
        rescue JSON::GeneratorError, JSON::NestingError => e
          return record_unwritable(guarded, value, e)
        end
        guarded.set_result(value.is_a?(String) ? value : json)
        guarded.record_error = try_record(ok: true, payload: RawJSON.new(json), call_id: guarded.decision.call_id)
      end

      # The tool ran: recorded as succeeded, without the value it returned.
      def record_unwritable(guarded, value, error)
        guarded.set_result(value.to_s)
        problem = "the value cannot be written as JSON: #{error.message}"
        again = try_record(ok: true, call_id: guarded.decision.call_id)
        guarded.record_error = again ? "#{problem}; recording without the payload failed too: #{again}" : problem
      end

      def record_failure(guarded, error)
        guarded.set_result(ResultTexts.failed(error), is_error: true)
        failure = classify(error)
        executed = nil
        executed = failure.outcome != :not_executed if guarded.decision.idempotency_key || failure.outcome != :unknown
        guarded.record_error = try_record(ok: false, error_code: failure.code, side_effect_executed: executed,
                                          call_id: guarded.decision.call_id)
      end

      def classify(error)
        failure = (@guard.error_classifier || ErrorClassifier.method(:classify)).call(error)
        failure.is_a?(Failure) ? failure : ErrorClassifier.classify(error)
      rescue StandardError
        Failure.new("error", :unknown)
      end

      def try_record(**result)
        @guard.record_result(**result)
        nil
      rescue Error => e
        e.message
      end
    end
  end
end

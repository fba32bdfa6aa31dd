# frozen_string_literal: true

require "json"
require_relative "errors"
require_relative "error_classifier"
require_relative "concurrency"
require_relative "json_writer"

module AuraGuard
  # Guard#run: check, execute, record around a block, with safe defaults.
  class Guard
    # How #run classifies a block's exception: a callable taking the
    # exception and returning an AuraGuard::Failure; nil (the default) is
    # ErrorClassifier.classify, which a replacement may call itself.
    attr_accessor :error_classifier

    # Outcomes #run could not record as given (each is also a
    # "record_failed" event): the value was not JSON or too large, or its
    # call was no longer waiting.
    def record_failures
      run_lock.synchronize { @record_failures }
    end

    # check, execute, record: yields the Decision when the call is allowed and
    # returns the block's value; on :cache returns the cached payload without
    # yielding; otherwise raises Denied carrying the decision.
    #
    # Tool arguments are keywords, a Hash (needed when one is named ticket_id
    # or side_effect), or AuraGuard::RawJSON with the arguments' JSON text.
    #
    # The value returned, first call and replay alike, is the block's value
    # as JSON reads it back (symbol keys, frozen), so both have one shape; a
    # value that is not JSON is returned as the block gave it.
    #
    # An exception from the block is recorded as the failure the classifier
    # makes of it (see ErrorClassifier) and re-raised; a block left by throw,
    # break, return or Thread#kill is recorded as "cancelled". For a
    # side-effect tool an outcome not known to be :not_executed is recorded
    # as executed, so a retry is never executed twice.
    #
    # When the outcome cannot be recorded as given after the block ran, it is
    # recorded without the payload, the value is still returned, and the
    # problem is counted in #record_failures and sent as a "record_failed"
    # event. Raises BusyError when the guard's concurrency is used up.
    #
    # The call's events reach the event block once the call is recorded; the
    # block's first exception is raised then, unless the call raised its own
    # (a denial, the block's exception), which wins.
    def run(name, args = nil, ticket_id: nil, side_effect: nil, **kwargs, &block)
      raise ArgumentError, "Guard#run needs a block that executes the tool" unless block

      call_args = run_arguments(args, kwargs)
      faults = HandlerFaults.new
      pending = []
      enter_run
      begin
        decision = check_tool_with(faults, name, call_args, ticket_id, side_effect)
        result = decision.allow? ? execute(name, decision, faults, pending, &block) : replay(name, decision)
      ensure
        leave_run(faults, pending)
      end
      faults.raise!
      result
    end

    private

    def init_run_state(capacity)
      @run_lock = nil # made by #run_lock on first use
      @capacity = capacity
      @runs_in_flight = 0
      @record_failures = 0
      @error_classifier = nil
    end

    def run_arguments(args, kwargs)
      return args if (args.is_a?(String) || args.is_a?(RawJSON)) && kwargs.empty?
      unless args.nil? || args.is_a?(Hash)
        Arguments.invalid!("tool arguments must be a Hash, a String of JSON text or RawJSON, got #{args.class}")
      end

      args ? args.merge(kwargs) : kwargs
    end

    def replay(name, decision)
      cached = decision.cached_result
      raise Denied.new(name, decision) unless decision.cache? && cached && cached[:ok]

      cached[:payload]
    end

    def execute(name, decision, faults, pending)
      finished = false
      begin
        value = yield decision
        finished = true
      rescue Exception => e # rubocop:disable Lint/RescueException -- an interrupted call is still a failed call
        finished = true
        record_failure(name, decision, classify(e), faults, pending)
        raise
      ensure
        # Left without a value or an exception: throw, break, Thread#kill.
        record_failure(name, decision, Failure.new("cancelled", :unknown), faults, pending) unless finished
      end
      record_success(name, decision, value, faults, pending)
    end

    def classify(error)
      failure = (@error_classifier || ErrorClassifier.method(:classify)).call(error)
      failure.is_a?(Failure) ? failure : ErrorClassifier.classify(error)
    rescue StandardError
      ErrorClassifier.classify(error)
    end

    def record_success(name, decision, value, faults, pending)
      json = value.is_a?(RawJSON) ? value.json : JsonWriter.generate(value)
      problem = try_record(faults, ok: true, payload: RawJSON.new(json), call_id: decision.call_id)
      return JSON.parse(json, symbolize_names: true, freeze: true) unless problem

      record_without_payload(name, decision, problem, faults, pending)
      value.is_a?(RawJSON) ? value : JSON.parse(json, symbolize_names: true, freeze: true)
    rescue JSON::GeneratorError, JSON::NestingError => e
      record_without_payload(name, decision, "the value cannot be written as JSON: #{e.message}", faults, pending)
      value
    end

    # The tool ran: record that it succeeded, without the payload.
    def record_without_payload(name, decision, problem, faults, pending)
      again = try_record(faults, ok: true, call_id: decision.call_id)
      problem = "#{problem}; recording without the payload failed too: #{again}" if again
      record_failed(name, problem, pending)
    end

    def record_failure(name, decision, failure, faults, pending)
      executed = nil
      if decision.idempotency_key || failure.outcome != :unknown
        executed = failure.outcome != :not_executed
      end
      problem = try_record(faults, ok: false, error_code: failure.code, side_effect_executed: executed,
                                   call_id: decision.call_id)
      record_failed(name, problem, pending) if problem
    end

    # Records a result; the guard's refusal comes back as its message.
    def try_record(faults, ok:, payload: nil, error_code: nil, side_effect_executed: nil, call_id: nil)
      record_with(faults, ok, payload, error_code, side_effect_executed, call_id)
      nil
    rescue Error => e
      e.message
    end

    def record_failed(name, problem, pending)
      run_lock.synchronize { @record_failures += 1 }
      pending << JSON.generate(event: "record_failed", tool: name.to_s, reason: problem)
    end

    def enter_run
      run_lock.synchronize do
        if @runs_in_flight >= @capacity
          raise BusyError, "#{@runs_in_flight} run calls already in flight and the guard's concurrency " \
                           "(max_pending_calls) is #{@capacity}; create the guard with concurrency: set to " \
                           "the number of threads that share it"
        end
        @runs_in_flight += 1
      end
    end

    # The call is recorded: its events (and any record_failed) reach the block.
    def leave_run(faults, pending)
      run_lock.synchronize { @runs_in_flight -= 1 }
      events = faults.held + pending
      run_block(events, faults) unless events.empty?
    end
  end
end

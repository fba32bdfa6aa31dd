# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "native_call"
require_relative "errors"
require_relative "arguments"
require_relative "decision"
require_relative "handle"
require_relative "event_relay"

module AuraGuard
  # One agent run guarded by libauraguard: ask #check_tool before each tool
  # call, execute it only on :allow, then #record_result. Or let #run do the
  # three steps around a block.
  #
  # A guard may be shared by several threads. Its native memory is released by
  # #close, or by the garbage collector when the guard is no longer referenced.
  class Guard
    # Every configuration key is a keyword argument, named as in the
    # configuration table (max_cost_per_run:, side_effect_tools:, ...). Only
    # the keys given are sent, so the library's defaults apply to the rest; an
    # unknown key or a bad value raises ConfigError naming the key.
    def initialize(secret_key: nil, **config)
      config = { secret_key: secret_key }.merge(config) unless secret_key.nil?
      open_native(Arguments.json(config, "configuration", error: ConfigError))
    end

    # A guard from a configuration already written as JSON.
    def self.from_json(config_json)
      allocate.tap { |guard| guard.send(:open_native, config_json) }
    end

    # Yields a new guard and closes it when the block returns.
    def self.open(**config)
      guard = new(**config)
      return guard unless block_given?

      begin
        yield guard
      ensure
        guard.close
      end
    end

    # Decides on a tool call before it runs. `args` is the tool's arguments;
    # `ticket_id` names the customer ticket or task (nil: the run itself);
    # `side_effect` true/false overrides the configured side_effect_tools.
    def check_tool(name, args = {}, ticket_id: nil, side_effect: nil)
      tool = Arguments.text(name, "tool name")
      args_json = Arguments.args_json(args)
      ticket = Arguments.optional_text(ticket_id, "ticket_id")
      flag = Arguments.side_effect_flag(side_effect)
      json = call(:auraguard_check_tool, tool, args_json, ticket, flag)
      Decision.from_json(json)
    end

    # Reports how an allowed call went. Without call_id the most recent
    # waiting call is meant. Pass side_effect_executed: true when a side effect
    # may have happened despite an error (a timeout after the request left).
    def record_result(ok:, payload: nil, error_code: nil, side_effect_executed: nil, call_id: nil)
      result = { ok: ok }
      result[:payload] = payload unless payload.nil?
      result[:error_code] = error_code.to_s unless error_code.nil?
      result[:side_effect_executed] = side_effect_executed unless side_effect_executed.nil?
      result[:call_id] = call_id unless call_id.nil?
      call_status(:auraguard_record_result, Arguments.json(result, "result"))
    end

    # Checks an assistant message for a stall; a Decision, or nil when there
    # is nothing to do. The text is never stored.
    def check_output(text)
      json = call(:auraguard_check_output, Arguments.text(text, "text"))
      json && Decision.from_json(json)
    end

    # Adds a model call's usage to the run's cost, priced with the cost model
    # unless cost_override (USD) is given.
    def record_tokens(input_tokens:, output_tokens:, cost_override: nil)
      call_status(:auraguard_record_tokens,
                  Arguments.token_count(input_tokens, "input_tokens"),
                  Arguments.token_count(output_tokens, "output_tokens"),
                  Arguments.cost_override(cost_override))
    end

    # The run's counters, e.g. stats[:tool_calls_executed].
    def stats
      JSON.parse(call(:auraguard_stats_json), symbolize_names: true)
    end

    # The run's report as text for a person.
    def report
      call(:auraguard_report_text)
    end

    # The run's report as data: {stats:, by_primitive:, by_tool:, ...}.
    def report_data
      JSON.parse(call(:auraguard_report_json), symbolize_names: true)
    end

    # The run's state as an opaque string, MAC'd under the secret key.
    def save_state
      call(:auraguard_state_save)
    end

    # Replaces the run's state with one saved under the same secret key;
    # raises StateError (leaving the guard unchanged) when it does not verify.
    def load_state(state)
      call_status(:auraguard_state_load, Arguments.text(state, "state"))
    end

    # Starts a new run with the same configuration.
    def reset
      call_status(:auraguard_reset)
    end

    # Calls the block with every event (a frozen Hash: event:, run_id:, ...)
    # on the thread whose call produced it. Without a block, stops delivery.
    # An error raised by the block is reported with Kernel#warn and does not
    # affect the guard.
    def on_event(&block)
      function = block && EventRelay.function_for(block)
      # Serialized so that @event_function is always the function the library
      # holds, whatever the order in which threads replace it.
      @event_lock.synchronize do
        @handle.use do |pointer|
          NativeCall.status_only(:auraguard_set_event_callback, pointer, function, nil)
          # The library may still call the previous function from a call that
          # began before this one; the handle keeps it until such calls end.
          @handle.retire(@event_function)
          @event_function = function
        end
      end
      self
    end

    # Frees the native guard. Safe to call more than once; any later use
    # raises ClosedError.
    def close
      @handle.close
    end

    def closed?
      @handle.closed?
    end

    # check, execute, record: yields the Decision when the call is allowed and
    # returns the block's value; on :cache returns the cached payload without
    # yielding; otherwise raises Denied carrying the decision. An exception
    # from the block is recorded as a failure (error code: its class name) and
    # re-raised. Tool arguments are keywords, or a Hash when one is named
    # ticket_id or side_effect. A payload the library cannot store (not JSON,
    # over max_json_bytes) is recorded without it.
    def run(name, args = nil, ticket_id: nil, side_effect: nil, **kwargs, &block)
      raise ArgumentError, "Guard#run needs a block that executes the tool" unless block

      Arguments.invalid!("tool arguments must be a Hash, got #{args.class}") unless args.nil? || args.is_a?(Hash)
      call_args = args ? args.merge(kwargs) : kwargs
      decision = check_tool(name, call_args, ticket_id: ticket_id, side_effect: side_effect)
      case decision.action
      when :allow then execute(decision, &block)
      when :cache
        cached = decision.cached_result
        raise Denied.new(name, decision) unless cached && cached[:ok]

        cached[:payload]
      else
        raise Denied.new(name, decision)
      end
    end

    def inspect
      "#<AuraGuard::Guard#{closed? ? ' closed' : ''}>"
    end

    private

    def open_native(config_json)
      json = Arguments.text(config_json, "configuration")
      pointer = NativeCall.with_out_pointers do |out, err|
        NativeCall.check!(Native.auraguard_guard_new(json, out, err), err)
        out.read_pointer
      end
      @handle = Handle.new(pointer)
      @event_lock = Mutex.new
      @event_function = nil
    end

    # A native call returning a string, through the handle.
    def call(function, *args)
      result = @handle.use { |pointer| NativeCall.string_out(function, pointer, *args) }
      EventRelay.raise_deferred!
      result
    end

    def call_status(function, *args)
      @handle.use { |pointer| NativeCall.status_only(function, pointer, *args) }
      EventRelay.raise_deferred!
      nil
    end

    def execute(decision)
      value = yield decision
    rescue Exception => e # rubocop:disable Lint/RescueException -- an interrupted call is still a failed call
      record_failure(decision, e)
      raise
    else
      record_success(decision, value)
      value
    end

    def record_success(decision, value)
      record_result(ok: true, payload: value, call_id: decision.call_id)
    rescue InvalidArgumentError
      record_result(ok: true, call_id: decision.call_id)
    end

    def record_failure(decision, error)
      record_result(ok: false, error_code: error.class.name || "Exception", call_id: decision.call_id)
    rescue Error
      nil # the tool's own exception matters more than a failure to record it
    end
  end
end

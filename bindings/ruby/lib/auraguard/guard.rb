# frozen_string_literal: true

require "json"
require_relative "native"
require_relative "native_call"
require_relative "errors"
require_relative "arguments"
require_relative "decision"
require_relative "handle"
require_relative "event_relay"
require_relative "raw_json"
require_relative "error_classifier"
require_relative "concurrency"
require_relative "fast_path"

module AuraGuard
  # One agent run guarded by libauraguard: ask #check_tool before each tool
  # call, execute it only on :allow, then #record_result. Or let #run do the
  # three steps around a block.
  #
  # A guard may be shared by several threads. Its native memory is released by
  # #close, or by the garbage collector when the guard is no longer referenced.
  class Guard
    # check_tool's default arguments: none, which the C API reads as {}.
    NO_ARGS = FastPath::NO_ARGS

    # Every configuration key is a keyword argument, named as in the
    # configuration table (max_cost_per_run:, side_effect_tools:, ...). Only
    # the keys given are sent, so the library's defaults apply to the rest; an
    # unknown key or a bad value raises ConfigError naming the key.
    #
    # `concurrency:` (not an engine key) is the number of threads that may
    # run tools through the guard at once (#run, or check_tool/record_result
    # pairs): it raises max_pending_calls to at least that, so that no
    # allowed call is pushed out before its result is recorded, and #run
    # raises BusyError beyond it.
    def initialize(secret_key: nil, concurrency: nil, **config)
      config = { secret_key: secret_key }.merge(config) unless secret_key.nil?
      config = Concurrency.apply(config, concurrency)
      open_native(Arguments.json(config, "configuration", error: ConfigError), Concurrency.capacity_of(config))
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

    # #check_tool(name, args = NO_ARGS, ticket_id: nil, side_effect: nil)
    # and #record_result(ok:, payload: nil, error_code: nil,
    # side_effect_executed: nil, call_id: nil) are FastPath's.
    include FastPath

    # Checks an assistant message for a stall; a Decision, or nil when there
    # is nothing to do. The text is never stored.
    def check_output(text)
      text = Arguments.text(text, "text")
      return @handle.check_output(text) unless @event_function

      with_events(nil) { @handle.check_output(text) }
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
      JSON.parse(report_json, symbolize_names: true)
    end

    # The run's report as the library writes it: the JSON text of #report_data.
    def report_json
      call(:auraguard_report_json)
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
    # on the thread whose call produced it, once that call's native part has
    # returned; "record_failed" events come from #run. Without a block, stops
    # delivery. The first exception the block raises (of any kind, throw and
    # Thread#kill included) surfaces from the guard method that delivered the
    # event once that method's work is done (#run: once the call is
    # recorded); the other events are still delivered.
    #
    # The library's callback is registered the first time a block is given
    # and stays until #close, so replacing the block never waits on the
    # library, from any thread or from inside the block.
    def on_event(&block)
      event_lock.synchronize do
        unless @event_function
          # Set first: from now on every call drains what the callback queues.
          @event_function = EventRelay.function
          begin
            @handle.use { |pointer| NativeCall.status_only(:auraguard_set_event_callback, pointer, @event_function, nil) }
          rescue Error
            @event_function = nil
            raise
          end
        end
        @event_block = block
      end
      self
    end

    # Frees the native guard. Safe to call more than once; any later use
    # raises ClosedError.
    def close
      # Before the handle's: a check that finds the guard open took its
      # block first, and the handle frees the guard when that block is back.
      @closed = true
      @handle.close
    end

    def closed?
      @handle.closed?
    end

    def inspect
      "#<AuraGuard::Guard#{closed? ? ' closed' : ''}>"
    end

    private

    # Made for the guards that ask: a Mutex costs about 3,400 instructions
    # to make and collect (the three a guard made were an eighth of making
    # one), and most guards never register an event block or use #run.
    # MAKING_LOCKS makes each exactly once when threads ask at the same time.
    MAKING_LOCKS = Mutex.new
    private_constant :MAKING_LOCKS

    def event_lock
      @event_lock || MAKING_LOCKS.synchronize { @event_lock ||= Mutex.new }
    end

    def run_lock
      @run_lock || MAKING_LOCKS.synchronize { @run_lock ||= Mutex.new }
    end

    # `capacity`: max_pending_calls when the caller has it at hand (read
    # from the JSON otherwise).
    def open_native(config_json, capacity = nil)
      json = Arguments.text(config_json, "configuration")
      pointer = NativeCall.with_out_pointers do |out, err|
        NativeCall.check!(Native.auraguard_guard_new(json, out, err), err)
        out.read_pointer
      end
      @handle = Handle.new(pointer)
      # FastPath's state, shared with the handle (see FastPath).
      @idle = @handle.idle
      @closed = false
      @event_lock = nil # made by #event_lock on first use
      @event_function = nil
      @event_block = nil
      init_run_state(capacity || Concurrency.capacity(json))
    end

    # The hot path is the handle's (FastPath), which checks the arguments
    # too; with an event callback registered, its events are delivered once
    # the call returns.
    def check_tool_with(faults, name, args, ticket_id, side_effect)
      with_events(faults) { @handle.check_tool(name, args, ticket_id: ticket_id, side_effect: side_effect) }
    end

    def record_with(faults, ok, payload, error_code, side_effect_executed, call_id)
      with_events(faults) do
        @handle.record_result(ok: ok, payload: payload, error_code: error_code,
                              side_effect_executed: side_effect_executed, call_id: call_id)
      end
      nil
    end

    # FastPath's calls on the lifecycle, which the handle keeps: a block
    # when none is idle, a call on a closed guard, the freeing.
    def fresh_scratch
      @handle.send(:fresh_scratch)
    end

    def closed!(block)
      @handle.send(:closed!, block)
    end

    def free_if_idle
      @handle.send(:free_if_idle)
    end

    # A native call made by the block, then the events it delivered go to
    # the event block (#run passes `faults`, which holds them until the call
    # is recorded). When the call itself fails, its error is what the caller
    # sees: the event block still gets the events, and its exceptions are
    # dropped.
    def with_events(faults)
      result = begin
        yield
      rescue Exception # rubocop:disable Lint/RescueException -- re-raised
        deliver_events(HandlerFaults.new)
        raise
      end
      deliver_events(faults)
      result
    end

    # A native call returning a string, through the handle; then the events
    # it delivered go to the block.
    # Without a registered callback no event can be waiting: the plain call.
    def call(function, *args, faults: nil)
      return @handle.use { |pointer| NativeCall.string_out(function, pointer, *args) } unless @event_function

      with_events(faults) { @handle.use { |pointer| NativeCall.string_out(function, pointer, *args) } }
    end

    def call_status(function, *args, faults: nil)
      if @event_function
        with_events(faults) { @handle.use { |pointer| NativeCall.status_only(function, pointer, *args) } }
      else
        @handle.use { |pointer| NativeCall.status_only(function, pointer, *args) }
      end
      nil
    end

    # Runs the block on the events the last native call delivered and raises
    # its first exception; #run passes `faults`, which holds the events until
    # the call is recorded.
    def deliver_events(faults, queued = EventRelay.take)
      return unless queued
      return faults.hold(queued) if faults

      own = HandlerFaults.new
      run_block(queued, own)
      own.raise!
    end

    def run_block(queued, faults)
      block = @event_block
      return unless block

      queued.each { |json| faults.run(block, JSON.parse(json, symbolize_names: true, freeze: true)) }
    end
  end
end

require_relative "run"

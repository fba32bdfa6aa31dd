# frozen_string_literal: true

require "json"
require_relative "cached_fields"

module AuraGuard
  # What the guard decided about one tool call or assistant message. Frozen,
  # including every nested Hash and Array; keys are symbols.
  class Decision
    ACTIONS = %i[allow block cache rewrite escalate finalize].freeze

    # :allow, :block, :cache, :rewrite, :escalate or :finalize.
    attr_reader :action
    # Why, e.g. "identical_toolcall_loop_cache"; "shadow_allow" in shadow mode.
    attr_reader :reason
    # On :rewrite, the text to give the model as a system message.
    attr_reader :injected_system
    # On :cache, {ok:, payload:, error_code:, cached: true, side_effect_executed:,
    # payload_kept:}; payload_kept is false (and payload nil) when the result
    # was booked without its payload (too large, too deep, a number beyond a Float).
    attr_reader :cached_result
    # On :escalate, {route:, tags:, summary:, ...} for the human taking over.
    attr_reader :escalation_packet
    # On :finalize, {reply_draft:, reason:}.
    attr_reader :finalized_output
    # On :allow, the id to pass back to Guard#record_result.
    attr_reader :call_id
    # On an allowed side-effect call, a 32-hex-digit key for the tool's API.
    attr_reader :idempotency_key
    # On an allowed side-effect call that reserved its key, how long (ms) the
    # reservation holds before its outcome counts as unknown.
    attr_reader :lease_ms
    # On a :side_effect_in_flight block, when (ms) the holder's lease ends.
    attr_reader :retry_after_ms
    # On an allowed call a detector warns about before it enforces
    # (warn_before_enforce:), { reason:, message: }; show the message to the model.
    attr_reader :warning

    def self.from_json(json)
      new(JSON.parse(json, symbolize_names: true, freeze: true))
    end

    # `data` is the decision's JSON, parsed. The hot path (StructDecision)
    # passes the action (a Symbol) and the fields it read from the library's
    # struct instead, the reason (never nil) first; it sets only the fields
    # given, and #to_h is made only when asked for. Both set @action,
    # @reason and @call_id first: Ruby numbers a class's instance variables
    # in the order they are first set and keeps the first three inside the
    # object, so a plain allow needs no separate table.
    def initialize(data, reason = nil, call_id = nil, idempotency_key = nil, lease_ms = nil, retry_after_ms = nil,
                   cached_result = nil)
      if reason
        @action = data
        @reason = reason
        @call_id = call_id
        @idempotency_key = idempotency_key if idempotency_key
        @lease_ms = lease_ms if lease_ms
        @retry_after_ms = retry_after_ms if retry_after_ms
        @cached_result = cached_result if cached_result
      else
        @action = data.fetch(:action).to_sym
        @reason = data[:reason]
        @call_id = data[:call_id]
        @data = data
        @injected_system = data[:injected_system]
        @cached_result = with_payload_kept(data[:cached_result])
        @escalation_packet = data[:escalation_packet]
        @finalized_output = data[:finalized_output]
        @idempotency_key = data[:idempotency_key]
        @lease_ms = data[:lease_ms]
        @retry_after_ms = data[:retry_after_ms]
        @warning = data[:warning]
      end
      freeze
    end

    # Written out rather than made by define_method, whose methods cost
    # more to call: allow? is asked after every check.
    def allow?
      @action == :allow
    end

    def block?
      @action == :block
    end

    def cache?
      @action == :cache
    end

    def rewrite?
      @action == :rewrite
    end

    def escalate?
      @action == :escalate
    end

    def finalize?
      @action == :finalize
    end

    # True for an :allow that shadow mode gave in place of a denial.
    def shadow_allow?
      allow? && @reason == "shadow_allow"
    end

    # Every field the engine sent, including ones this class has no reader for.
    def to_h
      defined?(@data) ? @data : fields_hash
    end

    def inspect
      "#<AuraGuard::Decision #{@action} #{@reason.inspect}#{@call_id ? " call_id=#{@call_id}" : ''}>"
    end
    alias to_s inspect

    private

    # The engine writes payload_kept only when it is false.
    def with_payload_kept(cached)
      return cached if cached.nil? || cached.key?(:payload_kept)

      cached.merge(payload_kept: true).freeze
    end

    # #to_h of a decision read from the struct: the keys its JSON has, in
    # the same order, and the action as each path gave it before (a Symbol
    # from the struct, the JSON's String for a cache).
    def fields_hash
      return { action: "cache", reason: @reason, cached_result: CachedFields.as_json(cached_result) }.freeze if cached_result

      data = { action: @action, reason: @reason }
      data[:call_id] = @call_id unless @call_id.nil?
      data[:idempotency_key] = idempotency_key unless idempotency_key.nil?
      data[:lease_ms] = lease_ms unless lease_ms.nil?
      data[:retry_after_ms] = retry_after_ms unless retry_after_ms.nil?
      data.freeze
    end
  end
end

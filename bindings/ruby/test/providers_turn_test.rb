# frozen_string_literal: true

require_relative "test_helper"
require_relative "provider_fixtures"

# Whole turns over the recorded responses: what runs, what is recorded, what
# the model is told.
class ProvidersTurnTest < Minitest::Test
  include ProviderFixtures
  P = AuraGuard::Providers

  def setup
    @refunds = 0
    @lookups = 0
    @count_lock = Mutex.new
  end

  def tools
    {
      "get_order" => lambda { |args|
        @count_lock.synchronize { @lookups += 1 }
        { order_id: args[:order_id], status: "shipped" }
      },
      search_kb: ->(_args) { "Refunds within 30 days." },
      "get_shipping" => ->(_args) { { carrier: "UPS" } },
      "refund" => lambda { |_args, decision|
        @count_lock.synchronize { @refunds += 1 }
        { refund_id: "R-1", key: decision.idempotency_key }
      }
    }
  end

  def test_a_double_refund_inside_one_response_runs_once_and_both_calls_are_answered
    P::FORMATS.product([1, 4]).each do |format, parallel|
      setup
      g = guard(concurrency: parallel)
      response = fixture(format, "repeat")
      turn = P.run_turn(g, format, response, tools, ticket_id: "T-1", max_parallel: parallel)
      label = "#{format} x#{parallel}"
      assert_equal 1, @refunds, label
      got = results(format, turn.messages)
      assert_equal P.tool_calls(format, response).map(&:id), got.map(&:id), label
      first = JSON.parse(got[0].text)
      assert_equal "R-1", first["refund_id"]
      assert_equal 32, first["key"].length
      # The second is the ledger's replay (the engine keeps canonical JSON).
      assert_equal first, JSON.parse(got[1].text), label
      assert_equal [false, false], got.map(&:is_error) if format == :anthropic_messages
      assert turn.calls[0].ran?
      refute turn.calls[1].ran?
      assert_equal "idempotent_replay", turn.calls[1].decision.reason
      refute turn.ends_turn?
      stats = g.stats
      assert_equal [1, 1, 0, 0], stats.values_at(:tool_calls_executed, :cache_hits, :missed_results, :pending_calls), label
    end
  end

  def test_in_parallel_a_copy_with_its_keys_in_another_order_still_waits_for_the_first
    g = guard(concurrency: 2)
    response = chat_response(chat_call("c1", "refund", '{"order_id":"A1","amount":30}'),
                             chat_call("c2", "refund", '{"amount":30, "order_id":"A1"}'))
    turn = P.run_turn(g, :openai_chat, response, tools, max_parallel: 2)
    assert_equal 1, @refunds
    assert_equal "idempotent_replay", turn.calls[1].decision.reason
    assert_equal %w[c1 c2], results(:openai_chat, turn.messages).map(&:id)
  end

  def test_a_malformed_call_is_answered_with_an_error_and_the_other_runs
    P::FORMATS.each do |format|
      setup
      g = guard
      turn = P.run_turn(g, format, fixture(format, "malformed"), tools)
      got = results(format, turn.messages)
      assert_equal 2, got.size
      assert_equal "shipped", JSON.parse(got[0].text)["status"]
      assert got[1].text.start_with?("Not executed: "), got[1].text
      assert_includes got[1].text, format == :anthropic_messages ? "must be a JSON object" : "not valid JSON"
      assert got[1].text.end_with?("Call refund again with its arguments as one JSON object."), got[1].text
      assert_equal [false, true], got.map(&:is_error) if format == :anthropic_messages
      assert_equal 0, @refunds
      assert_nil turn.calls[1].decision
      assert_equal [1, 0], g.stats.values_at(:tool_calls_executed, :tool_calls_denied)
    end
  end

  def test_parallel_calls_run_at_once_and_are_answered_in_the_models_order
    P::FORMATS.each do |format|
      g = guard(concurrency: 3)
      arrived = 0
      lock = Mutex.new
      all_here = ConditionVariable.new
      ended = []
      tool = lambda do |name|
        lambda do |_args|
          # Each waits for the other two: only calls running at once get past.
          lock.synchronize do
            arrived += 1
            all_here.broadcast
            deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
            while arrived < 3
              left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
              raise "#{name} ran alone" if left <= 0

              all_here.wait(lock, left)
            end
          end
          sleep 0.05 if name == "get_order" # finishes last
          lock.synchronize { ended << name }
          "#{name} done"
        end
      end
      names = %w[get_order search_kb get_shipping]
      turn = P.run_turn(g, format, fixture(format, "parallel"), names.to_h { |n| [n, tool.call(n)] }, max_parallel: 3)
      got = results(format, turn.messages)
      assert_equal ["get_order done", "search_kb done", "get_shipping done"], got.map(&:text), format
      assert_equal "get_order", ended.last
      assert_equal P.tool_calls(format, fixture(format, "parallel")).map(&:id), got.map(&:id)
      assert_equal [3, 0], g.stats.values_at(:tool_calls_executed, :missed_results)
      assert(turn.calls.all? { |c| c.record_error.nil? })
    end
  end

  def test_parallel_beyond_the_guards_concurrency_is_reported_per_call_not_lost
    g = guard # one call may await its result
    turn = P.run_turn(g, :openai_chat, fixture(:openai_chat, "parallel"), tools, max_parallel: 3)
    assert_equal 3, turn.messages.size, "every call is still answered"
    assert_includes turn.calls[0].record_error, "call_id"
    assert_nil turn.calls[2].record_error
    assert_equal 2, g.stats[:missed_results]
  end

  def test_a_repeated_side_effect_on_another_ticket_is_blocked_with_a_reason
    g = guard
    response = fixture(:anthropic_messages, "repeat")
    P.run_turn(g, :anthropic_messages, response, tools, ticket_id: "T-1")
    again = P.run_turn(g, :anthropic_messages, response, tools, ticket_id: "T-2")
    assert_equal 1, @refunds
    results(:anthropic_messages, again.messages).each do |r|
      assert_equal true, r.is_error
      assert_equal "Not executed: the guard blocked this call (side_effect_limit_exceeded). This action was " \
                   "already carried out in this run and may not be repeated; tell the user it is done.", r.text
    end
  end

  def test_a_rewrite_tells_the_model_what_to_do_in_the_result_and_as_an_instruction
    P::FORMATS.each do |format|
      setup
      g = guard(max_calls_per_tool: 1)
      response = fixture(format, "parallel")
      P.run_turn(g, format, response, tools)
      again = P.run_turn(g, format, response, tools)
      assert_equal 1, @lookups
      lookup = again.calls[0]
      assert_equal :rewrite, lookup.decision.action
      assert_equal "max_calls_per_tool", lookup.decision.reason
      assert lookup.error?
      assert_equal "Not executed (max_calls_per_tool). #{lookup.decision.injected_system}",
                   results(format, again.messages)[0].text
      # Each rewritten call brings its own instruction (each names its tool).
      assert_equal 3, again.system_messages.size
      assert_equal P.system_message(format, lookup.decision.injected_system), again.system_messages[0]
      assert_includes lookup.decision.injected_system, "get_order"
      assert_equal :none, again.host_action
    end
  end

  def test_an_escalation_ends_the_turn_and_the_calls_after_it_do_not_run
    P::FORMATS.product([1, 3]).each do |format, parallel|
      setup
      g = guard(concurrency: parallel, tool_policies: { search_kb: { access: "human" } })
      turn = P.run_turn(g, format, fixture(format, "parallel"), tools, max_parallel: parallel)
      label = "#{format} x#{parallel}"
      assert turn.ends_turn?, label
      assert_equal :escalate, turn.host_action
      assert_same turn.calls[1], turn.stopped_by
      assert_equal "human_approval", turn.stopped_by.decision.escalation_packet[:route]
      got = results(format, turn.messages)
      assert_equal "shipped", JSON.parse(got[0].text)["status"], "the call before it ran"
      assert_equal "Not executed: this call needs a person (policy_human_approval_required). Stop calling tools; " \
                   "the conversation is being handed to a human.", got[1].text
      assert_equal "Not executed: the run was stopped by an earlier call (policy_human_approval_required). " \
                   "Do not call more tools.", got[2].text
      assert_nil turn.calls[2].decision
      refute turn.calls[2].ran?
      assert_equal [1, 1, 0], g.stats.values_at(:tool_calls_executed, :escalations, :pending_calls), label
    end
  end

  def test_a_failing_tool_is_recorded_as_failed_and_the_model_told_so
    g = guard(error_retry_threshold: 1)
    failing = tools.merge("get_shipping" => ->(_args) { raise Timeout::Error, "carrier API timed out" })
    turn = P.run_turn(g, :openai_responses, fixture(:openai_responses, "parallel"), failing)
    got = results(:openai_responses, turn.messages)
    assert_equal "Error: the tool failed (Timeout::Error: carrier API timed out).", got[2].text
    assert turn.calls[2].error?
    assert turn.calls[2].ran?
    assert_equal 1, g.stats[:tool_calls_failed]
    assert_equal "error_retry:timeout", g.stats[:quarantined_tools][:get_shipping]
  end

  def test_a_tool_the_host_does_not_have_is_answered_and_never_checked
    g = guard
    turn = P.run_turn(g, :openai_chat, fixture(:openai_chat, "parallel"), tools.reject { |k, _| k == :search_kb })
    assert_equal "Not executed: there is no tool named search_kb. Use one of the tools you were given.",
                 results(:openai_chat, turn.messages)[1].text
    assert_nil turn.calls[1].decision
    assert_equal 2, g.stats[:tool_calls_executed]
  end

  def test_a_text_only_response_has_nothing_to_answer
    g = guard
    P::FORMATS.each do |format|
      turn = P.run_turn(g, format, fixture(format, "text"), tools)
      assert_empty turn.messages
      assert_equal "[]", turn.messages_json
    end
  end

  def test_arguments_the_guard_refuses_are_an_error_result_and_change_nothing
    g = guard(max_json_bytes: 1024)
    response = chat_response(chat_call("c1", "search_kb", JSON.generate(query: "x" * 2000)))
    call = P.tool_calls(:openai_chat, response)[0]
    before = g.stats
    checked = P.check(g, call)
    refute checked.should_run?
    assert checked.error?
    assert checked.result_text.start_with?("Not executed: the arguments were refused ("), checked.result_text
    assert_includes checked.result_text, "max_json_bytes"
    assert_equal before, g.stats
  end

  def test_a_host_running_its_own_tools_checks_each_call_and_sets_its_result
    g = guard
    answered = P.tool_calls(:openai_chat, fixture(:openai_chat, "repeat")).map do |call|
      checked = P.check(g, call, ticket_id: "T-1")
      if checked.should_run?
        assert_raises(AuraGuard::Error) { checked.result_message(:openai_chat) }
        g.record_result(ok: true, payload: "refunded", call_id: checked.decision.call_id)
        checked.set_result("refunded")
      end
      checked
    end
    assert_equal %w[refunded refunded], results(:openai_chat, P.tool_result_messages(:openai_chat, answered)).map(&:text)
    assert answered[0].should_run?
    assert_predicate answered[1].decision, :cache?
  end

  def test_bad_turn_arguments_are_refused_before_anything_is_checked
    g = guard
    response = fixture(:openai_chat, "parallel")
    assert_raises(ArgumentError) { P.run_turn(g, :openai_chat, response, tools, max_parallel: 0) }
    assert_raises(ArgumentError) { P.run_turn(g, :openai_chat, response, nil) }
    assert_raises(P::ResponseError) { P.run_turn(g, :openai_chat, "{}", tools) }
    assert_equal [0, 0], g.stats.values_at(:tool_calls_executed, :tool_calls_denied)
  end
end

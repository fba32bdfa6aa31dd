# frozen_string_literal: true

require_relative "test_helper"

# Keyword configuration reaches the engine, and its rejections come back.
class ConfigTest < Minitest::Test
  def test_an_unknown_keyword_raises_config_error_naming_it
    error = assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new(secret_key: SECRET, max_cals_per_tool: 2) }
    assert_equal :config, error.status
    assert_includes error.message, "max_cals_per_tool"
  end

  def test_an_out_of_range_value_raises_config_error_naming_the_key
    error = assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new(secret_key: SECRET, max_cost_per_run: -1) }
    assert_includes error.message, "max_cost_per_run"
  end

  def test_a_wrong_type_raises_config_error
    error = assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new(secret_key: SECRET, strict_mode: "yes") }
    assert_includes error.message, "strict_mode"
  end

  def test_the_secret_key_is_required_outside_shadow_mode
    error = assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new }
    assert_includes error.message, "secret_key"
  end

  def test_a_value_that_is_not_json_is_a_config_error
    assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new(secret_key: SECRET, max_cost_per_run: Float::NAN) }
  end

  def test_a_keyword_changes_behaviour
    default = guard
    capped = guard(max_calls_per_tool: 2)
    3.times { |i| check_and_record(default, "get_order", { order_id: i }) }
    3.times { |i| check_and_record(capped, "get_order", { order_id: i }) }
    assert_equal 3, default.stats[:tool_calls_executed]
    assert_equal 2, capped.stats[:tool_calls_executed]
    assert_equal 1, capped.stats[:rewrite_decisions]
  end

  def test_side_effect_tools_decide_which_tools_are_limited
    g = guard(side_effect_tools: ["send_email"])
    check_and_record(g, "send_email", { to: "a" }, ticket_id: "T")
    assert_equal "side_effect_limit_exceeded", g.check_tool("send_email", { to: "a" }, ticket_id: "T2").reason
    check_and_record(g, "refund", { order_id: "A" }, ticket_id: "T")
    assert_predicate g.check_tool("refund", { order_id: "A" }, ticket_id: "T2"), :allow?
  end

  def test_nested_keywords_with_symbol_keys_are_sent_as_json_objects
    g = guard(cost_model: { default_tool_call_cost: 0.5 }, arg_ignore_keys: { get_order: [:request_id] })
    check_and_record(g, "get_order", { order_id: 1, request_id: "a" })
    assert_in_delta 0.5, g.stats[:cost_spent_usd], 1e-9
    check_and_record(g, "get_order", { order_id: 1, request_id: "b" })
    # request_id is ignored, so this is the third identical call.
    assert_equal :cache, g.check_tool("get_order", { order_id: 1, request_id: "c" }).action
  end

  def test_side_effect_flag_overrides_the_configuration_per_call
    g = guard
    check_and_record(g, "notify", { user: 1 }, ticket_id: "T", side_effect: true)
    assert_equal :block, g.check_tool("notify", { user: 1 }, ticket_id: "T2", side_effect: true).action
    assert_predicate g.check_tool("refund", { order_id: "B" }, ticket_id: "T", side_effect: false), :allow?
  end

  def test_the_opt_in_detection_keywords_reach_the_engine
    limited = guard(max_tool_calls_per_run: 1)
    check_and_record(limited, "get_order", { order_id: 1 })
    second = limited.check_tool("get_order", { order_id: 2 })
    assert second.escalate?
    assert_equal "tool_call_limit_exceeded", second.reason
    assert_equal "max_tool_calls_per_run", second.escalation_packet[:limit_key]

    warned = guard(max_calls_per_tool: 1, warn_before_enforce: ["max_calls_per_tool"])
    check_and_record(warned, "get_order", { order_id: 1 })
    over = warned.check_tool("get_order", { order_id: 2 })
    assert over.allow?
    assert_equal "max_calls_per_tool", over.warning[:reason]
    assert_includes over.warning[:message], "get_order"

    error = assert_raises(AuraGuard::ConfigError) { AuraGuard::Guard.new(secret_key: SECRET, same_result_threshold: 1) }
    assert_includes error.message, "same_result_threshold"
  end
end

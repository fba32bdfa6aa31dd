/* The decisions the guard makes, through the C API: each primitive's
 * scenario from the specification. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define KEY_CONFIG "{\"secret_key\":\"test-key\"}"

static void double_refund_is_replayed_then_blocked(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    const char *args = "{\"order_id\":\"A-100\",\"amount\":25}";
    char *d = decide(g, "refund", args, "T-1");
    CHECK_DECISION(d, "allow", "allow");
    CHECK(d && json_num(d, "call_id", 0) >= 1);
    size_t key_len = 0;
    CHECK(d && json_raw(d, "idempotency_key", &key_len) && key_len == 32 + 2);
    auraguard_string_free(d);
    record(g, "{\"ok\":true,\"payload\":{\"refund_id\":\"R-9\"}}");

    /* The same refund for the same ticket: the stored result, not a second refund. */
    d = decide(g, "refund", args, "T-1");
    CHECK_DECISION(d, "cache", "idempotent_replay");
    CHECK(d && json_raw_eq(d, "cached_result.cached", "true"));
    CHECK(d && json_raw_eq(d, "cached_result.ok", "true"));
    CHECK(d && json_str_eq(d, "cached_result.payload.refund_id", "R-9"));
    CHECK(d && json_raw_eq(d, "cached_result.side_effect_executed", "true"));
    CHECK(d && !json_has(d, "call_id"));
    auraguard_string_free(d);

    /* Another ticket: one executed refund per run is the limit. */
    d = decide(g, "refund", args, "T-2");
    CHECK_DECISION(d, "block", "side_effect_limit_exceeded");
    auraguard_string_free(d);

    CHECK(stat(g, "tool_calls_executed") == 1);
    CHECK(stat(g, "cache_hits") == 1 && stat(g, "blocks") == 1);
    CHECK(stat(g, "tool_calls_denied") == 2);
    auraguard_guard_free(g);
}

static void jitter_loop_is_rewritten_then_quarantined(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    const char *queries[] = {"refund policy", "refund policy EU", "refund policy EU Germany"};
    char args[128];
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "{\"query\":\"%s\"}", queries[i]);
        char *d = decide_and_record_ok(g, "search_kb", args, "T-1");
        CHECK_DECISION(d, "allow", "allow");
        auraguard_string_free(d);
    }
    char *d = decide(g, "search_kb", "{\"query\":\"refund policy Germany 2024\"}", "T-1");
    CHECK_DECISION(d, "rewrite", "arg_jitter_loop");
    CHECK(d && json_has(d, "injected_system"));
    auraguard_string_free(d);

    d = decide(g, "search_kb", "{\"query\":\"shipping times\"}", "T-1");
    CHECK_DECISION(d, "rewrite", "tool_quarantined:arg_jitter_loop");
    auraguard_string_free(d);

    char *s = stats(g);
    CHECK(s && json_str_eq(s, "quarantined_tools.search_kb", "arg_jitter_loop"));
    CHECK(s && json_num(s, "rewrite_decisions", -1) == 2);
    auraguard_string_free(s);

    /* Another tool is not affected. */
    d = decide(g, "get_order", "{\"order_id\":\"A\"}", "T-1");
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

static void identical_repeats_are_cached_or_blocked(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    const char *args = "{\"order_id\":\"A\"}";
    for (int i = 0; i < 2; i++) {
        char *d = decide(g, "get_order", args, NULL);
        CHECK_DECISION(d, "allow", "allow");
        auraguard_string_free(d);
        record(g, "{\"ok\":true,\"payload\":{\"status\":\"shipped\"}}");
    }
    char *d = decide(g, "get_order", args, NULL);
    CHECK_DECISION(d, "cache", "identical_toolcall_loop_cache");
    CHECK(d && json_str_eq(d, "cached_result.payload.status", "shipped"));
    CHECK(d && json_raw_eq(d, "cached_result.cached", "true"));
    auraguard_string_free(d);

    /* Failed results are not cached: the third identical call is blocked. */
    const char *other = "{\"order_id\":\"B\"}";
    for (int i = 0; i < 2; i++) {
        d = decide(g, "get_order", other, NULL);
        CHECK_DECISION(d, "allow", "allow");
        auraguard_string_free(d);
        record(g, "{\"ok\":false,\"error_code\":\"not_found\"}");
    }
    d = decide(g, "get_order", other, NULL);
    CHECK_DECISION(d, "block", "identical_toolcall_loop");
    auraguard_string_free(d);
    CHECK(stat(g, "tool_calls_failed") == 2 && stat(g, "tool_calls_executed") == 4);
    auraguard_guard_free(g);
}

static void per_tool_cap_rewrites(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"max_calls_per_tool\":2}");
    char *d = decide_and_record_ok(g, "get_order", "{\"order_id\":\"1\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    d = decide_and_record_ok(g, "get_order", "{\"order_id\":\"2\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    d = decide(g, "get_order", "{\"order_id\":\"3\"}", NULL);
    CHECK_DECISION(d, "rewrite", "max_calls_per_tool");
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

static void budget_escalates(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"max_cost_per_run\":0.10}");
    char *d = decide_and_record_ok(g, "get_order", "{\"order_id\":\"1\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    d = decide_and_record_ok(g, "get_order", "{\"order_id\":\"2\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    d = decide(g, "get_order", "{\"order_id\":\"3\"}", NULL);
    CHECK_DECISION(d, "escalate", "cost_budget_exceeded");
    CHECK(d && json_str_eq(d, "escalation_packet.tags.0", "budget_exceeded"));
    CHECK(d && json_count(d, "escalation_packet.tags") == 1);
    CHECK(d && json_num(d, "escalation_packet.projected_cost", 0) > 0.1199);
    CHECK(d && json_num(d, "escalation_packet.limit", 0) == 0.1);
    auraguard_string_free(d);
    CHECK(stat(g, "escalations") == 1);
    auraguard_guard_free(g);
}

static void repeated_server_errors_quarantine(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char args[64];
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "{\"order_id\":\"%d\"}", i);
        char *d = decide(g, "get_order", args, NULL);
        CHECK_DECISION(d, "allow", "allow");
        auraguard_string_free(d);
        record(g, "{\"ok\":false,\"error_code\":\"503\"}");
    }
    char *d = decide(g, "get_order", "{\"order_id\":\"9\"}", NULL);
    CHECK_DECISION(d, "rewrite", "tool_quarantined:error_retry:5xx");
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

static void stall_is_rewritten_then_escalated(void) {
    const char *stall = "I'm sorry for the delay, I'm still checking.";
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *d = SENTINEL_PTR;
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    CHECK(d == NULL);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    CHECK_DECISION(d, "rewrite", "no_state_change_loop");
    CHECK(d && json_has(d, "injected_system"));
    auraguard_string_free(d);
    d = NULL;
    CHECK_STATUS(auraguard_check_output(g, "{\"action\":\"escalate\",\"reason\":\"need order id\"}",
                                        &d, NULL),
                 AURAGUARD_OK, NULL);
    CHECK_DECISION(d, "escalate", "forced_escalate:need order id");
    CHECK(d && json_has(d, "escalation_packet"));
    auraguard_string_free(d);
    auraguard_guard_free(g);

    /* Not the JSON outcome asked for: escalated anyway. */
    g = new_guard(KEY_CONFIG);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(d);
    d = NULL;
    CHECK_STATUS(auraguard_check_output(g, "Still looking into it!", &d, NULL), AURAGUARD_OK,
                 NULL);
    CHECK_DECISION(d, "escalate", "stall_noncompliant_forced_outcome");
    auraguard_string_free(d);
    auraguard_guard_free(g);

    /* A finalize outcome carries the reply draft. */
    g = new_guard(KEY_CONFIG);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(d);
    d = NULL;
    CHECK_STATUS(auraguard_check_output(g,
                                        "{\"action\":\"finalize\",\"reason\":\"answered\","
                                        "\"reply_draft\":\"Your order ships Monday.\"}",
                                        &d, NULL),
                 AURAGUARD_OK, NULL);
    CHECK(d && json_str_eq(d, "action", "finalize"));
    CHECK(d && json_str_eq(d, "finalized_output.reply_draft", "Your order ships Monday."));
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

static void shadow_mode_allows_and_counts(void) {
    auraguard_guard *g = new_guard("{\"shadow_mode\":true}");
    const char *args = "{\"order_id\":\"A\"}";
    for (int i = 0; i < 2; i++) {
        char *d = decide_and_record_ok(g, "refund", args, "T-1");
        CHECK(d && json_str_eq(d, "action", "allow"));
        CHECK(d && json_has(d, "call_id"));
        if (i == 1) CHECK_DECISION(d, "allow", "shadow_allow");
        auraguard_string_free(d);
    }
    char *s = stats(g);
    CHECK(s && json_num(s, "shadow_would_deny", -1) == 1);
    CHECK(s && json_raw_eq(s, "shadow_mode", "true"));
    CHECK(s && json_num(s, "tool_calls_denied", -1) == 0);
    auraguard_string_free(s);
    auraguard_guard_free(g);
}

static void tool_policies(void) {
    auraguard_guard *g = new_guard(
        "{\"secret_key\":\"k\",\"tool_policies\":{"
        "\"delete_account\":{\"access\":\"deny\",\"deny_reason\":\"never\"},"
        "\"wire_money\":{\"access\":\"human\",\"risk\":\"high\"},"
        "\"update_address\":{\"require_args\":[\"zip\",\"order_id\"]}}}");
    char *d = decide(g, "delete_account", "{}", NULL);
    CHECK_DECISION(d, "block", "policy_deny:never");
    auraguard_string_free(d);
    d = decide(g, "wire_money", "{\"to\":\"X\"}", NULL);
    CHECK_DECISION(d, "escalate", "policy_human_approval_required");
    CHECK(d && json_str_eq(d, "escalation_packet.route", "human_approval"));
    CHECK(d && json_str_eq(d, "escalation_packet.tags.1", "risk:high"));
    auraguard_string_free(d);
    d = decide(g, "update_address", "{\"street\":\"Main\"}", NULL);
    CHECK_DECISION(d, "block", "policy_missing_args:order_id,zip");
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

void suite_decisions(void) {
    RUN(double_refund_is_replayed_then_blocked);
    RUN(jitter_loop_is_rewritten_then_quarantined);
    RUN(identical_repeats_are_cached_or_blocked);
    RUN(per_tool_cap_rewrites);
    RUN(budget_escalates);
    RUN(repeated_server_errors_quarantine);
    RUN(stall_is_rewritten_then_escalated);
    RUN(shadow_mode_allows_and_counts);
    RUN(tool_policies);
}

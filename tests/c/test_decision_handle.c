/* Decisions as handles: the common fields read through accessors, with no
 * JSON parsing, and the same decision as auraguard_check_tool's JSON. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define KEY_CONFIG "{\"secret_key\":\"test-key\"}"

static auraguard_decision *decide_handle(auraguard_guard *g, const char *tool, const char *args,
                                         const char *ticket) {
    auraguard_decision *d = NULL;
    char *err = NULL;
    CHECK_STATUS(auraguard_check_tool_decision(g, tool, args, ticket, -1, &d, &err), AURAGUARD_OK, err);
    auraguard_string_free(err);
    return d;
}

static void record_call(auraguard_guard *g, uint64_t call_id, const char *rest) {
    char json[256];
    snprintf(json, sizeof json, "{\"call_id\":%llu,%s}", (unsigned long long)call_id, rest);
    record(g, json);
}

static void an_allowed_side_effect_reads_without_json(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    auraguard_decision *d = decide_handle(g, "refund", "{\"order_id\":\"A-1\"}", "T-1");
    CHECK(auraguard_decision_action(d) == AURAGUARD_ACTION_ALLOW);
    CHECK(strcmp(auraguard_decision_reason(d), "allow") == 0);
    uint64_t call_id = 0;
    CHECK(auraguard_decision_call_id(d, &call_id) && call_id >= 1);
    const char *key = auraguard_decision_idempotency_key(d);
    CHECK(key && strlen(key) == 32 && strspn(key, "0123456789abcdef") == 32);
    /* The JSON is the same decision: the accessors and the text agree. */
    const char *json = auraguard_decision_json(d);
    CHECK(json && json_str_eq(json, "action", "allow") && json_str_eq(json, "idempotency_key", key));
    CHECK(json && json_num(json, "call_id", 0) == (double)call_id);
    record_call(g, call_id, "\"ok\":true,\"payload\":{\"refund_id\":\"R-1\"}");
    auraguard_decision_free(d);

    /* The replay: a cache decision, no call id (the output stays untouched). */
    d = decide_handle(g, "refund", "{\"order_id\":\"A-1\"}", "T-1");
    CHECK(auraguard_decision_action(d) == AURAGUARD_ACTION_CACHE);
    CHECK(strcmp(auraguard_decision_reason(d), "idempotent_replay") == 0);
    uint64_t untouched = 777;
    CHECK(!auraguard_decision_call_id(d, &untouched) && untouched == 777);
    CHECK(json_str_eq(auraguard_decision_json(d), "cached_result.payload.refund_id", "R-1"));
    auraguard_decision_free(d);
    auraguard_guard_free(g);
}

static void a_read_only_call_has_no_idempotency_key(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    auraguard_decision *d = decide_handle(g, "search_kb", "{\"query\":\"refund policy\"}", NULL);
    CHECK(auraguard_decision_action(d) == AURAGUARD_ACTION_ALLOW);
    CHECK(auraguard_decision_idempotency_key(d) == NULL);
    uint64_t call_id = 0;
    CHECK(auraguard_decision_call_id(d, &call_id));
    record_call(g, call_id, "\"ok\":true");
    auraguard_decision_free(d);
    CHECK(stat(g, "tool_calls_executed") == 1);
    auraguard_guard_free(g);
}

static void denied_actions_map_to_their_enum(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"tool_policies\":{\"wire\":{\"access\":\"deny\"}}}");
    auraguard_decision *d = decide_handle(g, "wire", NULL, NULL);
    CHECK(auraguard_decision_action(d) == AURAGUARD_ACTION_BLOCK);
    CHECK(json_str_eq(auraguard_decision_json(d), "action", "block"));
    auraguard_decision_free(d);

    /* check_output: NULL when there is nothing to do, a handle otherwise. */
    auraguard_decision *out = (auraguard_decision *)SENTINEL_PTR;
    char *err = NULL;
    CHECK_STATUS(auraguard_check_output_decision(g, "", &out, &err), AURAGUARD_OK, err);
    CHECK(out == NULL);
    const char *sorry = "I apologize, I am still checking on that for you.";
    for (int i = 0; i < 4 && out == NULL; i++) {
        CHECK_STATUS(auraguard_check_output_decision(g, sorry, &out, &err), AURAGUARD_OK, err);
    }
    CHECK(out != NULL && auraguard_decision_action(out) == AURAGUARD_ACTION_REWRITE);
    CHECK(out && json_str_eq(auraguard_decision_json(out), "action", "rewrite"));
    auraguard_decision_free(out);
    auraguard_guard_free(g);
}

static void bad_input_leaves_the_output_untouched(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    auraguard_decision *d = (auraguard_decision *)SENTINEL_PTR;
    char *err = NULL;
    CHECK_STATUS(auraguard_check_tool_decision(g, "t", "[1]", NULL, -1, &d, &err),
                 AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(err != NULL && d == (auraguard_decision *)SENTINEL_PTR);
    auraguard_string_free(err);
    err = NULL;
    CHECK_STATUS(auraguard_check_tool_decision(g, "t", NULL, NULL, 2, &d, &err),
                 AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(err, "side_effect") && d == (auraguard_decision *)SENTINEL_PTR);
    auraguard_string_free(err);
    err = NULL;
    CHECK_STATUS(auraguard_check_tool_decision(g, "t", NULL, NULL, -1, NULL, &err),
                 AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(err && strstr(err, "decision_out"));
    auraguard_string_free(err);
    err = NULL;
    CHECK_STATUS(auraguard_check_tool_decision(NULL, "t", NULL, NULL, -1, &d, &err),
                 AURAGUARD_ERR_INVALID_ARGUMENT, err);
    auraguard_string_free(err);
    CHECK(stat(g, "pending_calls") == 0);
    auraguard_guard_free(g);
}

static void null_decisions_read_as_nothing(void) {
    uint64_t id = 5;
    CHECK(auraguard_decision_action(NULL) == AURAGUARD_ACTION_BLOCK);
    CHECK(auraguard_decision_reason(NULL) == NULL);
    CHECK(!auraguard_decision_call_id(NULL, &id) && id == 5);
    CHECK(auraguard_decision_idempotency_key(NULL) == NULL);
    CHECK(auraguard_decision_json(NULL) == NULL);
    auraguard_decision_free(NULL);
}

void suite_decision_handle(void) {
    RUN(an_allowed_side_effect_reads_without_json);
    RUN(a_read_only_call_has_no_idempotency_key);
    RUN(denied_actions_map_to_their_enum);
    RUN(bad_input_leaves_the_output_untouched);
    RUN(null_decisions_read_as_nothing);
}

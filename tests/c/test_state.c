/* Saved state: restore into a new guard, and rejection of a tampered,
 * foreign or unreadable one (AURAGUARD_ERR_STATE, guard unchanged). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define KEY_CONFIG "{\"secret_key\":\"state-key\"}"
#define REFUND_ARGS "{\"order_id\":\"A-7\"}"

/* The saved state of a run that executed one refund for ticket T-1. */
static char *state_after_one_refund(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *d = decide_and_record_ok(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    char *state = SENTINEL_PTR;
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_state_save(g, &state, &e), AURAGUARD_OK, e);
    CHECK(e == NULL && state != SENTINEL_PTR);
    auraguard_guard_free(g);
    return state == SENTINEL_PTR ? NULL : state;
}

static void restored_state_still_catches_duplicate_refund(void) {
    char *state = state_after_one_refund();
    CHECK(state && json_str_eq(state, "format", "auraguard-state"));
    CHECK(state && json_num(state, "version", -1) == 2);
    /* Signatures only: the order id and ticket are not in it. */
    CHECK(state && strstr(state, "A-7") == NULL && strstr(state, "T-1") == NULL);

    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_state_load(g, state, &e), AURAGUARD_OK, e);
    CHECK(e == NULL);
    CHECK(stat(g, "tool_calls_executed") == 1);
    char *d = decide(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(d, "cache", "idempotent_replay");
    auraguard_string_free(d);
    d = decide(g, "refund", REFUND_ARGS, "T-2");
    CHECK_DECISION(d, "block", "side_effect_limit_exceeded");
    auraguard_string_free(d);
    auraguard_string_free(state);
    auraguard_guard_free(g);
}

/* A load that must fail with AURAGUARD_ERR_STATE and change nothing. */
static void expect_state_rejected(auraguard_guard *g, const char *state) {
    char *before = stats(g);
    char *e = NULL;
    CHECK_STATUS(auraguard_state_load(g, state, &e), AURAGUARD_ERR_STATE, e);
    CHECK(e != NULL && strlen(e) > 0);
    auraguard_string_free(e);
    char *after = stats(g);
    CHECK(before && after && strcmp(before, after) == 0);
    auraguard_string_free(before);
    auraguard_string_free(after);
}

static void tampered_state_is_rejected(void) {
    char *state = state_after_one_refund();
    const char *field = "\"tool_calls_executed\":1";
    char *at = state ? strstr(state, field) : NULL;
    CHECK(at != NULL);
    if (!at) {
        auraguard_string_free(state);
        return;
    }
    /* Copy with libc, then edit the copy: the library's string is freed by
     * the library. */
    char *tampered = malloc(strlen(state) + 1);
    strcpy(tampered, state);
    tampered[(at - state) + strlen(field) - 1] = '0';

    auraguard_guard *g = new_guard(KEY_CONFIG);
    auraguard_string_free(decide_and_record_ok(g, "get_order", "{\"order_id\":\"1\"}", NULL));
    expect_state_rejected(g, tampered);
    /* The untampered state still loads. */
    CHECK_STATUS(auraguard_state_load(g, state, NULL), AURAGUARD_OK, NULL);
    free(tampered);
    auraguard_string_free(state);
    auraguard_guard_free(g);
}

static void foreign_or_unreadable_state_is_rejected(void) {
    char *state = state_after_one_refund();
    auraguard_guard *other_key = new_guard("{\"secret_key\":\"another-key\"}");
    expect_state_rejected(other_key, state);
    expect_state_rejected(other_key, "not json");
    expect_state_rejected(other_key, "{}");
    expect_state_rejected(other_key, "{\"format\":\"auraguard-state\",\"version\":99,"
                                     "\"body\":{},\"mac\":\"00\"}");
    auraguard_string_free(state);
    auraguard_guard_free(other_key);
}

void suite_state(void) {
    RUN(restored_state_still_catches_duplicate_refund);
    RUN(tampered_state_is_rejected);
    RUN(foreign_or_unreadable_state_is_rejected);
}

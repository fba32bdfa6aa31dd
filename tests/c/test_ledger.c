/* The idempotency ledger from C: reservations of calls in flight, an
 * operator's resolution, and the errors of auraguard_ledger_resolve. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define REFUND_CONFIG \
    "{\"secret_key\":\"k\",\"side_effect_tools\":[\"refund\"],\"max_pending_calls\":4," \
    "\"side_effect_max_executed_per_run\":10}"
#define REFUND_ARGS "{\"order_id\":\"A-1\",\"amount\":50}"

static void a_refund_in_flight_is_not_allowed_twice(void) {
    auraguard_guard *g = new_guard(REFUND_CONFIG);
    char *first = decide(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(first, "allow", "allow");
    CHECK(json_num(first, "lease_ms", -1) == 60000);
    char *second = decide(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(second, "block", "side_effect_in_flight");
    double wait = json_num(second, "retry_after_ms", -1);
    CHECK(wait > 0 && wait <= 60000);

    /* The operator says it happened: replayed from now on. */
    size_t len = 0;
    const char *raw = json_raw(first, "idempotency_key", &len);
    CHECK(raw != NULL && len == 34); /* 32 hex characters in quotes */
    char key[33] = {0};
    if (raw && len == 34) memcpy(key, raw + 1, 32);
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_ledger_resolve(g, key, AURAGUARD_LEDGER_EXECUTED, &e), AURAGUARD_OK, e);
    CHECK(e == NULL);
    char *third = decide(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(third, "cache", "idempotent_replay");
    CHECK(json_raw_eq(third, "cached_result.side_effect_executed", "true"));

    /* It did not happen after all: the next call may run. */
    CHECK_STATUS(auraguard_ledger_resolve(g, key, AURAGUARD_LEDGER_NOT_EXECUTED, &e), AURAGUARD_OK, e);
    char *fourth = decide(g, "refund", REFUND_ARGS, "T-1");
    CHECK_DECISION(fourth, "allow", "allow");
    auraguard_string_free(first);
    auraguard_string_free(second);
    auraguard_string_free(third);
    auraguard_string_free(fourth);
    auraguard_guard_free(g);
}

static void resolve_rejects_bad_arguments(void) {
    auraguard_guard *g = new_guard(REFUND_CONFIG);
    const char *key = "0123456789abcdef0123456789abcdef";
    char *e = NULL;
    CHECK_STATUS(auraguard_ledger_resolve(NULL, key, AURAGUARD_LEDGER_EXECUTED, &e),
                 AURAGUARD_ERR_INVALID_ARGUMENT, e);
    CHECK(e && strstr(e, "guard"));
    auraguard_string_free(e);
    CHECK_STATUS(auraguard_ledger_resolve(g, NULL, AURAGUARD_LEDGER_EXECUTED, &e),
                 AURAGUARD_ERR_INVALID_ARGUMENT, e);
    auraguard_string_free(e);
    CHECK_STATUS(auraguard_ledger_resolve(g, "not-a-key", AURAGUARD_LEDGER_EXECUTED, &e),
                 AURAGUARD_ERR_INVALID_ARGUMENT, e);
    CHECK(e && strstr(e, "idempotency_key"));
    auraguard_string_free(e);
    CHECK_STATUS(auraguard_ledger_resolve(g, key, 2, &e), AURAGUARD_ERR_INVALID_ARGUMENT, e);
    CHECK(e && strstr(e, "outcome"));
    auraguard_string_free(e);
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_LEDGER), "AURAGUARD_ERR_LEDGER") == 0);
    auraguard_guard_free(g);
}

static void an_unopenable_store_is_a_config_error(void) {
    auraguard_guard *const unset = (auraguard_guard *)(uintptr_t)0x5eed;
    auraguard_guard *g = unset;
    char *e = NULL;
    CHECK_STATUS(auraguard_guard_new("{\"secret_key\":\"k\",\"ledger\":{\"kind\":\"sqlite\","
                                     "\"path\":\"/nonexistent-auraguard-dir/l.db\"}}", &g, &e),
                 AURAGUARD_ERR_CONFIG, e);
    CHECK(g == unset);
    CHECK(e && strstr(e, "/nonexistent-auraguard-dir/l.db"));
    auraguard_string_free(e);
}

void suite_ledger(void) {
    RUN(a_refund_in_flight_is_not_allowed_twice);
    RUN(resolve_rejects_bad_arguments);
    RUN(an_unopenable_store_is_a_config_error);
}

/* Awaiting results: strict-mode misuse, missed results, and parallel calls
 * recorded by call_id. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

static void strict_mode_refuses_out_of_order_calls(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"strict_mode\":true}");
    char *e = NULL;

    /* Nothing awaits a result yet. */
    CHECK_STATUS(auraguard_record_result(g, "{\"ok\":true}", &e), AURAGUARD_ERR_MISUSE, e);
    CHECK(e != NULL);
    auraguard_string_free(e);
    e = NULL;

    char *d = decide(g, "get_order", "{\"order_id\":\"1\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);

    /* A second check while the first awaits its result: refused, nothing changes. */
    d = SENTINEL_PTR;
    CHECK_STATUS(auraguard_check_tool(g, "get_order", "{\"order_id\":\"2\"}", NULL, -1, &d, &e),
                 AURAGUARD_ERR_MISUSE, e);
    CHECK(d == SENTINEL_PTR);
    CHECK(e != NULL && strlen(e) > 0);
    auraguard_string_free(e);
    CHECK(stat(g, "pending_calls") == 1 && stat(g, "missed_results") == 0);

    /* Back in order: the first call's result, then the next check. */
    record(g, "{\"ok\":true}");
    d = decide(g, "get_order", "{\"order_id\":\"2\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    record(g, "{\"ok\":true}");
    CHECK(stat(g, "tool_calls_executed") == 2);
    auraguard_guard_free(g);
}

static void non_strict_mode_counts_missed_results(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\"}");
    CHECK_STATUS(auraguard_record_result(g, "{\"ok\":true}", NULL), AURAGUARD_OK, NULL);
    CHECK(stat(g, "tool_calls_executed") == 0);
    auraguard_string_free(decide(g, "get_order", "{\"order_id\":\"1\"}", NULL));
    auraguard_string_free(decide(g, "get_order", "{\"order_id\":\"2\"}", NULL));
    CHECK(stat(g, "missed_results") == 1 && stat(g, "pending_calls") == 1);
    auraguard_guard_free(g);
}

static void parallel_calls_are_recorded_by_call_id(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"max_pending_calls\":3}");
    double ids[3];
    char args[64];
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "{\"order_id\":\"%d\"}", i);
        char *d = decide(g, "get_order", args, NULL);
        CHECK_DECISION(d, "allow", "allow");
        ids[i] = d ? json_num(d, "call_id", -1) : -1;
        auraguard_string_free(d);
    }
    CHECK(ids[0] >= 1 && ids[1] != ids[0] && ids[2] != ids[1] && ids[2] != ids[0]);
    CHECK(stat(g, "pending_calls") == 3 && stat(g, "missed_results") == 0);

    /* Out of order, each by its id; the second fails. */
    char result[128];
    snprintf(result, sizeof result, "{\"ok\":true,\"call_id\":%.0f}", ids[2]);
    record(g, result);
    snprintf(result, sizeof result, "{\"ok\":false,\"error_code\":\"404\",\"call_id\":%.0f}", ids[1]);
    record(g, result);
    snprintf(result, sizeof result, "{\"ok\":true,\"call_id\":%.0f}", ids[0]);
    record(g, result);
    CHECK(stat(g, "pending_calls") == 0);
    CHECK(stat(g, "tool_calls_executed") == 3 && stat(g, "tool_calls_failed") == 1);

    /* Already recorded, or never issued: invalid, and nothing changes. */
    char *e = NULL;
    CHECK_STATUS(auraguard_record_result(g, result, &e), AURAGUARD_ERR_INVALID_ARGUMENT, e);
    CHECK(e != NULL && strstr(e, "call_id") != NULL);
    auraguard_string_free(e);
    CHECK_STATUS(auraguard_record_result(g, "{\"ok\":true,\"call_id\":987654}", NULL),
                 AURAGUARD_ERR_INVALID_ARGUMENT, NULL);
    CHECK(stat(g, "tool_calls_executed") == 3);

    /* A fourth waiting call drops the oldest when three already wait. */
    for (int i = 10; i < 14; i++) {
        snprintf(args, sizeof args, "{\"order_id\":\"%d\"}", i);
        auraguard_string_free(decide(g, "get_order", args, NULL));
    }
    CHECK(stat(g, "pending_calls") == 3 && stat(g, "missed_results") == 1);
    auraguard_guard_free(g);
}

void suite_calls(void) {
    RUN(strict_mode_refuses_out_of_order_calls);
    RUN(non_strict_mode_counts_missed_results);
    RUN(parallel_calls_are_recorded_by_call_id);
}

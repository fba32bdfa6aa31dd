/* Stats, the JSON and text reports, and reset. */
#include <string.h>

#include "harness.h"
#include "suites.h"

/* A small run: one refund replayed, one blocked, one read. */
static auraguard_guard *small_run(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\"}");
    const char *args = "{\"order_id\":\"A\"}";
    char *d = decide_and_record_ok(g, "refund", args, "T-1");
    auraguard_string_free(d);
    auraguard_string_free(decide(g, "refund", args, "T-1"));
    auraguard_string_free(decide(g, "refund", args, "T-2"));
    auraguard_string_free(decide_and_record_ok(g, "get_order", args, "T-1"));
    return g;
}

static void stats_count_the_run(void) {
    auraguard_guard *g = small_run();
    char *s = stats(g);
    CHECK(s && json_num(s, "tool_calls_executed", -1) == 2);
    CHECK(s && json_num(s, "tool_calls_failed", -1) == 0);
    CHECK(s && json_num(s, "tool_calls_denied", -1) == 2);
    CHECK(s && json_num(s, "tool_calls_cached", -1) == 1);
    CHECK(s && json_num(s, "cache_hits", -1) == 1);
    CHECK(s && json_num(s, "blocks", -1) == 1);
    CHECK(s && json_num(s, "interventions_count", -1) == 2);
    CHECK(s && json_num(s, "cost_spent_usd", -1) > 0.0799 && json_num(s, "cost_spent_usd", 1) < 0.0801);
    CHECK(s && json_raw_eq(s, "cost_limit_usd", "null"));
    CHECK(s && json_raw_eq(s, "shadow_mode", "false"));
    size_t run_id_len = 0;
    CHECK(s && json_raw(s, "run_id", &run_id_len) && run_id_len > 2);
    auraguard_string_free(s);
    auraguard_guard_free(g);
}

static void report_json_groups_interventions(void) {
    auraguard_guard *g = small_run();
    char *r = SENTINEL_PTR;
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_report_json(g, &r, &e), AURAGUARD_OK, NULL);
    CHECK(e == NULL);
    CHECK(r && json_num(r, "stats.blocks", -1) == 1);
    CHECK(r && json_num(r, "by_tool.refund", -1) == 2);
    CHECK(r && json_num(r, "side_effects.refund.attempted", -1) == 2);
    CHECK(r && json_num(r, "side_effects.refund.executed", -1) == 1);
    CHECK(r && json_count(r, "top_reasons") == 2);
    CHECK(r && json_num(r, "top_reasons.0.count", -1) == 1);
    CHECK(r && json_count(r, "interventions") == 2);
    CHECK(r && json_str_eq(r, "interventions.0.reason", "idempotent_replay"));
    CHECK(r && json_count(r, "cost_events") == 2);
    /* Signatures only: the order id and ticket never appear. */
    CHECK(r && strstr(r, "\"A\"") == NULL && strstr(r, "T-1") == NULL);
    auraguard_string_free(r);
    auraguard_guard_free(g);
}

static void report_text_is_readable(void) {
    auraguard_guard *g = small_run();
    char *t = SENTINEL_PTR;
    CHECK_STATUS(auraguard_report_text(g, &t, NULL), AURAGUARD_OK, NULL);
    CHECK(t && strstr(t, "refund") != NULL);
    CHECK(t && strstr(t, "side_effect_limit_exceeded") != NULL);
    CHECK(t && strstr(t, "idempotent_replay") != NULL);
    CHECK(t && t[0] != '{');
    auraguard_string_free(t);
    auraguard_guard_free(g);
}

static void reset_starts_a_new_run(void) {
    auraguard_guard *g = small_run();
    char *before = stats(g);
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_reset(g, &e), AURAGUARD_OK, e);
    CHECK(e == NULL);
    char *after = stats(g);
    CHECK(after && json_num(after, "tool_calls_executed", -1) == 0);
    CHECK(after && json_num(after, "tool_calls_denied", -1) == 0);
    CHECK(after && json_num(after, "cost_spent_usd", -1) == 0);
    /* A new run has a new id. */
    size_t n1 = 0, n2 = 0;
    const char *id1 = json_raw(before, "run_id", &n1);
    const char *id2 = json_raw(after, "run_id", &n2);
    CHECK(id1 && id2 && !(n1 == n2 && memcmp(id1, id2, n1) == 0));
    auraguard_string_free(before);
    auraguard_string_free(after);
    /* The refund is no longer remembered; the configuration is kept. */
    char *d = decide(g, "refund", "{\"order_id\":\"A\"}", "T-2");
    CHECK_DECISION(d, "allow", "allow");
    CHECK(d && json_has(d, "idempotency_key"));
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

void suite_reports(void) {
    RUN(stats_count_the_run);
    RUN(report_json_groups_interventions);
    RUN(report_text_is_readable);
    RUN(reset_starts_a_new_run);
}

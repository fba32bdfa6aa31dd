/* Events through the callback: their shapes, what they never carry, the
 * thread they run on, re-entry into the same guard, and removal. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define MAX_EVENTS 64

/* Copies of the events one test received. */
typedef struct {
    char *events[MAX_EVENTS];
    int count;
    pthread_t caller;
    int on_other_thread;
} event_log;

static void log_event(const char *event_json, void *user_data) {
    event_log *log = user_data;
    if (!pthread_equal(pthread_self(), log->caller)) log->on_other_thread++;
    if (log->count < MAX_EVENTS) {
        size_t n = strlen(event_json) + 1;
        log->events[log->count] = malloc(n);
        memcpy(log->events[log->count], event_json, n);
    }
    log->count++;
}

static void free_log(event_log *log) {
    for (int i = 0; i < log->count && i < MAX_EVENTS; i++) free(log->events[i]);
}

static void events_describe_without_raw_data(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"max_cost_per_run\":1.0}");
    event_log log = {.count = 0, .caller = pthread_self()};
    char *e = SENTINEL_PTR;
    CHECK_STATUS(auraguard_set_event_callback(g, log_event, &log, &e), AURAGUARD_OK, e);
    CHECK(e == NULL);

    const char *args = "{\"order_id\":\"SECRET-ORDER-42\"}";
    auraguard_string_free(decide(g, "refund", args, "SECRET-TICKET-7"));
    CHECK(log.count == 0); /* an allow alone is not an event */
    record(g, "{\"ok\":true,\"payload\":{\"card\":\"SECRET-PAYLOAD\"}}");
    CHECK(log.count == 1);
    char *d = decide(g, "refund", args, "SECRET-TICKET-7");
    CHECK_DECISION(d, "cache", "idempotent_replay");
    auraguard_string_free(d);
    CHECK(log.count == 2);
    const char *stall = "I'm sorry for the delay SECRET-TEXT, still checking.";
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(d);
    CHECK_STATUS(auraguard_check_output(g, stall, &d, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(d);
    CHECK_STATUS(auraguard_record_tokens(g, 100, 100, NAN, NULL), AURAGUARD_OK, NULL);
    CHECK(log.count == 4);
    CHECK(log.on_other_thread == 0);

    if (log.count == 4) {
        const char *cost = log.events[0];
        CHECK(json_str_eq(cost, "event", "cost") && json_str_eq(cost, "kind", "tool_call"));
        CHECK(json_str_eq(cost, "tool", "refund") && json_num(cost, "amount_usd", 0) == 0.04);
        CHECK(json_has(cost, "run_id") && json_has(cost, "spent_usd"));
        const char *replay = log.events[1];
        CHECK(json_str_eq(replay, "event", "intervention"));
        CHECK(json_str_eq(replay, "action", "cache"));
        CHECK(json_str_eq(replay, "reason", "idempotent_replay"));
        size_t sig_len = 0;
        CHECK(json_raw(replay, "args_sig", &sig_len) && sig_len > 2);
        const char *stalled = log.events[2];
        CHECK(json_str_eq(stalled, "reason", "no_state_change_loop"));
        CHECK(json_raw_eq(stalled, "tool", "null") && json_raw_eq(stalled, "args_sig", "null"));
        CHECK(json_str_eq(log.events[3], "kind", "tokens"));
    }
    for (int i = 0; i < log.count && i < MAX_EVENTS; i++) {
        CHECK(strstr(log.events[i], "SECRET") == NULL);
    }

    /* NULL removes the callback. */
    CHECK_STATUS(auraguard_set_event_callback(g, NULL, NULL, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(decide(g, "refund", args, "SECRET-TICKET-8"));
    CHECK(log.count == 4);
    free_log(&log);
    auraguard_guard_free(g);
}

/* A callback that calls back into the guard that raised the event. */
typedef struct {
    auraguard_guard *guard;
    int calls;
    int reentry_failures;
    double executed_seen;
} reentry;

static void reenter(const char *event_json, void *user_data) {
    (void)event_json;
    reentry *r = user_data;
    r->calls++;
    char *s = NULL;
    if (auraguard_stats_json(r->guard, &s, NULL) != AURAGUARD_OK) {
        r->reentry_failures++;
        return;
    }
    r->executed_seen = json_num(s, "tool_calls_executed", -1);
    auraguard_string_free(s);
    /* Another call that itself raises an event (a cost) from inside the callback. */
    if (r->calls == 1 && auraguard_record_tokens(r->guard, 10, 10, NAN, NULL) != AURAGUARD_OK)
        r->reentry_failures++;
}

static void callback_may_reenter_the_guard(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\"}");
    reentry r = {.guard = g};
    CHECK_STATUS(auraguard_set_event_callback(g, reenter, &r, NULL), AURAGUARD_OK, NULL);
    auraguard_string_free(decide_and_record_ok(g, "get_order", "{\"order_id\":\"1\"}", NULL));
    /* The record's cost event, then the token event raised inside it. */
    CHECK(r.calls == 2);
    CHECK(r.reentry_failures == 0);
    CHECK(r.executed_seen == 1);
    CHECK(stat(g, "reported_token_cost_usd") > 0);
    auraguard_guard_free(g);
}

void suite_events(void) {
    RUN(events_describe_without_raw_data);
    RUN(callback_may_reenter_the_guard);
}

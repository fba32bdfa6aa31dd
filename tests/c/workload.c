/* A concurrent workload on one shared guard; see workload.h. */
#include "workload.h"

#include <stdio.h>
#include <string.h>

#include "json_field.h"

/* Raw values that would betray an argument or a ticket in an event. */
#define ORDER_PREFIX "ORD-"
#define TICKET_PREFIX "TICKET-"

void workload_on_event(const char *event_json, void *user_data) {
    workload_events *ev = user_data;
    if (strstr(event_json, "\"event\":\"intervention\""))
        atomic_fetch_add(&ev->interventions, 1);
    else if (strstr(event_json, "\"event\":\"cost\""))
        atomic_fetch_add(&ev->cost, 1);
    else
        atomic_fetch_add(&ev->other, 1);
    if (strstr(event_json, ORDER_PREFIX) || strstr(event_json, TICKET_PREFIX))
        atomic_fetch_add(&ev->leaked, 1);
}

void workload_run(auraguard_guard *g, int worker, long iterations, workload_tally *out) {
    memset(out, 0, sizeof *out);
    char args[96], ticket[32], result[96];
    snprintf(ticket, sizeof ticket, TICKET_PREFIX "%d", worker);
    for (long i = 0; i < iterations; i++) {
        /* Per worker: fresh orders (allowed) interleaved with one order
         * that always succeeds (cached once it recurs within the window)
         * and one that always fails (blocked once it recurs). */
        long kind = i % 4;
        bool ok = kind != 3;
        if (kind == 1)
            snprintf(args, sizeof args, "{\"order_id\":\"" ORDER_PREFIX "%d-good\"}", worker);
        else if (kind == 3)
            snprintf(args, sizeof args, "{\"order_id\":\"" ORDER_PREFIX "%d-bad\"}", worker);
        else
            snprintf(args, sizeof args, "{\"order_id\":\"" ORDER_PREFIX "%d-%ld\"}", worker, i);
        char *d = NULL;
        if (auraguard_check_tool(g, "get_order", args, ticket, -1, &d, NULL) != AURAGUARD_OK) {
            out->api_errors++;
            continue;
        }
        if (json_str_eq(d, "action", "allow")) {
            snprintf(result, sizeof result, "{\"ok\":%s,%s\"call_id\":%.0f}",
                     ok ? "true" : "false", ok ? "" : "\"error_code\":\"404\",",
                     json_num(d, "call_id", 0));
            if (auraguard_record_result(g, result, NULL) == AURAGUARD_OK) {
                out->allows++;
                if (!ok) out->failed_records++;
            } else {
                out->api_errors++;
            }
        } else if (json_str_eq(d, "action", "block")) {
            out->blocks++;
        } else if (json_str_eq(d, "action", "cache")) {
            out->caches++;
        } else if (json_str_eq(d, "action", "rewrite")) {
            out->rewrites++;
        } else {
            out->escalations++;
        }
        auraguard_string_free(d);
    }
}

void workload_add(workload_tally *sum, const workload_tally *t) {
    sum->allows += t->allows;
    sum->failed_records += t->failed_records;
    sum->blocks += t->blocks;
    sum->caches += t->caches;
    sum->rewrites += t->rewrites;
    sum->escalations += t->escalations;
    sum->api_errors += t->api_errors;
}

static int expect_equal(const char *what, double got, double want) {
    if (got == want) return 0;
    fprintf(stderr, "  mismatch: %s is %.0f, expected %.0f\n", what, got, want);
    return 1;
}

int workload_compare(auraguard_guard *g, const workload_tally *sum, const workload_events *ev) {
    char *s = NULL;
    if (auraguard_stats_json(g, &s, NULL) != AURAGUARD_OK) {
        fprintf(stderr, "  auraguard_stats_json failed\n");
        return 1;
    }
    long denied = sum->blocks + sum->caches + sum->rewrites + sum->escalations;
    int bad = 0;
    bad += expect_equal("api errors", (double)sum->api_errors, 0);
    bad += expect_equal("tool_calls_executed", json_num(s, "tool_calls_executed", -1),
                        (double)sum->allows);
    bad += expect_equal("tool_calls_failed", json_num(s, "tool_calls_failed", -1),
                        (double)sum->failed_records);
    bad += expect_equal("blocks", json_num(s, "blocks", -1), (double)sum->blocks);
    bad += expect_equal("cache_hits", json_num(s, "cache_hits", -1), (double)sum->caches);
    bad += expect_equal("rewrite_decisions", json_num(s, "rewrite_decisions", -1),
                        (double)sum->rewrites);
    bad += expect_equal("escalations", json_num(s, "escalations", -1), (double)sum->escalations);
    bad += expect_equal("tool_calls_denied", json_num(s, "tool_calls_denied", -1), (double)denied);
    bad += expect_equal("pending_calls", json_num(s, "pending_calls", -1), 0);
    bad += expect_equal("missed_results", json_num(s, "missed_results", -1), 0);
    auraguard_string_free(s);
    if (ev) {
        /* One intervention event per denial; one cost event per executed
         * (not cached) result; nothing else without a budget. */
        bad += expect_equal("intervention events", (double)atomic_load(&ev->interventions),
                            (double)denied);
        bad += expect_equal("cost events", (double)atomic_load(&ev->cost), (double)sum->allows);
        bad += expect_equal("other events", (double)atomic_load(&ev->other), 0);
        bad += expect_equal("events with raw arguments or tickets",
                            (double)atomic_load(&ev->leaked), 0);
    }
    return bad;
}

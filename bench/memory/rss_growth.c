/*
 * Resident memory of one long run: N check + record pairs of `get_order`,
 * each with arguments, a ticket id and a payload never seen before, on one
 * guard that is never reset. The engine's per-run structures are capped
 * (max_cache_entries, max_unique_calls_tracked, tool_loop_window,
 * max_cost_events, ...), so after the caps fill up the resident set must
 * stay flat.
 *
 *   rss_growth [--calls N] [--warmup N] [--limit-kb N] [--api json|fast]
 *
 * `--api json` (the default) makes the pairs through auraguard_check_tool
 * and auraguard_record_result; `--api fast` through the hot path
 * (auraguard_check_tool_fast, auraguard_record_result_fast), which every
 * binding uses and which keeps memos of its own (argument texts, tickets,
 * payloads) that the JSON path does not fill the same way.
 *
 * VmRSS (from /proc/self/status) is read after the warm-up calls, every
 * tenth of the run, and at the end. Prints one line per reading, then
 * "growth_kb K"; exits 1 if the growth after warm-up exceeds the limit
 * (default 10240 kB), 2 on a usage error, 3 if the guard fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <auraguard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* VmRSS in kB, or -1 if /proc is unreadable. */
static long vm_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The texts of pair `i`: arguments and a payload never seen before, and a
 * new ticket every 8 calls. Both APIs get the same. */
struct pair_texts {
    char args[96], ticket[32], payload[96];
    int args_len, ticket_len, payload_len;
};

static void pair_texts(struct pair_texts *t, long i) {
    t->args_len = snprintf(t->args, sizeof t->args, "{\"order_id\":\"ORD-%010ld\",\"include_items\":true}", i);
    t->ticket_len = snprintf(t->ticket, sizeof t->ticket, "T-%ld", i / 8);
    t->payload_len =
        snprintf(t->payload, sizeof t->payload, "{\"order_id\":\"ORD-%010ld\",\"status\":\"shipped\"}", i);
}

/* One distinct pair through the JSON API; 0 on success. An action other
 * than allow is a failure: distinct reads must never be cached, blocked or
 * quarantined. */
static int distinct_pair(auraguard_guard *g, long i) {
    struct pair_texts t;
    pair_texts(&t, i);
    char result[160];
    snprintf(result, sizeof result, "{\"ok\":true,\"payload\":%s}", t.payload);
    char *decision = NULL, *err = NULL;
    if (auraguard_check_tool(g, "get_order", t.args, t.ticket, -1, &decision, &err) != AURAGUARD_OK) {
        fprintf(stderr, "call %ld: check_tool failed: %s\n", i, err ? err : "?");
        auraguard_string_free(err);
        return 1;
    }
    int allowed = strncmp(decision, "{\"action\":\"allow\"", 17) == 0;
    if (!allowed) fprintf(stderr, "call %ld: expected allow, got %s\n", i, decision);
    auraguard_string_free(decision);
    if (!allowed) return 1;
    if (auraguard_record_result(g, result, &err) != AURAGUARD_OK) {
        fprintf(stderr, "call %ld: record_result failed: %s\n", i, err ? err : "?");
        auraguard_string_free(err);
        return 1;
    }
    return 0;
}

/* The same pair through the hot path: text as pointer and length, the
 * decision as a struct, the result's payload alone as JSON. */
static int distinct_pair_fast(auraguard_guard *g, long i) {
    struct pair_texts t;
    pair_texts(&t, i);
    auraguard_check_result r;
    char *err = NULL;
    if (auraguard_check_tool_fast(g, (const uint8_t *)"get_order", 9, (const uint8_t *)t.args, (size_t)t.args_len,
                                  (const uint8_t *)t.ticket, (size_t)t.ticket_len, -1, &r, &err) != AURAGUARD_OK) {
        fprintf(stderr, "call %ld: check_tool_fast failed: %s\n", i, err ? err : "?");
        auraguard_string_free(err);
        return 1;
    }
    auraguard_action action = r.action;
    auraguard_decision_free(r.details);
    if (action != AURAGUARD_ACTION_ALLOW) {
        fprintf(stderr, "call %ld: expected allow, got action %d\n", i, (int)action);
        return 1;
    }
    if (auraguard_record_result_fast(g, r.call_id, true, (const uint8_t *)t.payload, (size_t)t.payload_len, NULL, 0,
                                     -1, &err) != AURAGUARD_OK) {
        fprintf(stderr, "call %ld: record_result_fast failed: %s\n", i, err ? err : "?");
        auraguard_string_free(err);
        return 1;
    }
    return 0;
}

static long parse_count(const char *flag, const char *value) {
    char *end = NULL;
    long n = value ? strtol(value, &end, 10) : -1;
    if (!value || *end != '\0' || n < 1) {
        fprintf(stderr, "%s needs a positive integer, got %s\n", flag, value ? value : "nothing");
        exit(2);
    }
    return n;
}

int main(int argc, char **argv) {
    long calls = 10000000, warmup = 100000, limit_kb = 10240;
    int (*pair)(auraguard_guard *, long) = distinct_pair;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--calls") == 0) calls = parse_count(argv[i], value), i++;
        else if (strcmp(argv[i], "--warmup") == 0) warmup = parse_count(argv[i], value), i++;
        else if (strcmp(argv[i], "--limit-kb") == 0) limit_kb = parse_count(argv[i], value), i++;
        else if (strcmp(argv[i], "--api") == 0 && value && strcmp(value, "json") == 0) pair = distinct_pair, i++;
        else if (strcmp(argv[i], "--api") == 0 && value && strcmp(value, "fast") == 0) pair = distinct_pair_fast, i++;
        else {
            fprintf(stderr, "usage: %s [--calls N] [--warmup N] [--limit-kb N] [--api json|fast]\n", argv[0]);
            return 2;
        }
    }
    if (warmup >= calls) {
        fprintf(stderr, "--warmup (%ld) must be below --calls (%ld)\n", warmup, calls);
        return 2;
    }
    auraguard_guard *g = NULL;
    char *err = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"memory-bench-key\"}", &g, &err) != AURAGUARD_OK) {
        fprintf(stderr, "guard_new failed: %s\n", err ? err : "?");
        auraguard_string_free(err);
        return 3;
    }
    long step = (calls - warmup) / 10 ? (calls - warmup) / 10 : 1;
    long base_kb = 0, peak_kb = 0;
    double start = seconds();
    for (long i = 0; i < calls; i++) {
        if (pair(g, i)) {
            auraguard_guard_free(g);
            return 3;
        }
        long done = i + 1;
        if (done == warmup || (done > warmup && ((done - warmup) % step == 0 || done == calls))) {
            long kb = vm_rss_kb();
            if (done == warmup) base_kb = kb;
            if (kb > peak_kb) peak_kb = kb;
            printf("calls %10ld  rss_kb %7ld\n", done, kb);
            fflush(stdout);
        }
    }
    double elapsed = seconds() - start;
    long end_kb = vm_rss_kb();
    auraguard_guard_free(g);
    printf("ns_per_pair %.0f\n", elapsed * 1e9 / (double)calls);
    printf("baseline_kb %ld  end_kb %ld  peak_kb %ld\n", base_kb, end_kb, peak_kb);
    printf("growth_kb %ld\n", end_kb - base_kb);
    if (base_kb < 0 || end_kb < 0) {
        fprintf(stderr, "could not read VmRSS from /proc/self/status\n");
        return 3;
    }
    if (end_kb - base_kb > limit_kb) {
        fprintf(stderr, "resident memory grew by %ld kB after warm-up, over the %ld kB limit\n",
                end_kb - base_kb, limit_kb);
        return 1;
    }
    return 0;
}

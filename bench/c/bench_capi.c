/*
 * The cost of a decision through the C API, on four workloads:
 *
 *   distinct_reads   check + record of get_order with a new order_id each time
 *   jittery_queries  check + record of search_kb with overlapping 5-word
 *                    queries (jitter scoring runs, but never quarantines)
 *   cached_repeat    check of the same call again: answered from the cache
 *                    (no record: the tool is not executed)
 *   distinct_results check + record of get_order with a new order_id each
 *                    time and, as a real tool answers, a new 1.3 KB order as
 *                    its result: 20 line items with prices, keys in the
 *                    tool's order (not sorted)
 *   check_output     check_output on a 40-word assistant message
 *   check_output_cued_fast  the same on messages that hold words of the
 *                    stall phrases ("still", "issue", ...) without being
 *                    a stall, so the phrases are searched for
 *
 * The first four also run through the hot-path API (auraguard_check_tool_fast
 * and auraguard_record_result_fast: a struct instead of JSON, text as pointer
 * and length), named with the suffix _fast. Every configuration has a cost
 * budget (out of reach), as most users run the guard, so the budget check
 * runs on every call.
 *
 * Each workload runs in batches on a fresh guard per batch (so its state
 * stays what the workload says); the median of the batches' ns per
 * operation is reported. Output, one line per workload:
 *
 *   name  median_ns  ops        (ops: operations timed, over all batches)
 *
 * or with --json one object {"name": median_ns, ...}. Options:
 * --batches N (default 9), --iterations N per batch (default 20000),
 * --only NAME to run one workload (for profiling it alone).
 * A decision other than the workload's expected one is an error (exit 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <auraguard.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *name;
    const char *config;
    /* Prepare a fresh guard before timing (may be NULL). */
    void (*prime)(auraguard_guard *g);
    /* One operation; returns 0 when the guard answered off-workload. */
    int (*op)(auraguard_guard *g, long i);
} workload;

static int starts_with(const char *s, const char *prefix) {
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* check_tool, then record_result when allowed; 0 unless the action is `want`. */
static int check_and_record(auraguard_guard *g, const char *tool, const char *args,
                            const char *want) {
    char *d = NULL;
    if (auraguard_check_tool(g, tool, args, "T-1", -1, &d, NULL) != AURAGUARD_OK) return 0;
    int as_expected = starts_with(d, want);
    if (starts_with(d, "{\"action\":\"allow\""))
        as_expected &= auraguard_record_result(g, "{\"ok\":true,\"payload\":{\"n\":1}}", NULL) ==
                       AURAGUARD_OK;
    auraguard_string_free(d);
    return as_expected;
}

/* The same through the hot path: the decision as a struct, the result as
 * fields; 0 unless the action is `want`. */
static int check_and_record_fast(auraguard_guard *g, const char *tool, const char *args,
                                 size_t args_len, auraguard_action want) {
    static const char payload[] = "{\"n\":1}";
    auraguard_check_result r;
    if (auraguard_check_tool_fast(g, (const uint8_t *)tool, strlen(tool), (const uint8_t *)args,
                                  args_len, (const uint8_t *)"T-1", 3, -1, &r,
                                  NULL) != AURAGUARD_OK)
        return 0;
    int as_expected = r.action == want;
    if (r.action == AURAGUARD_ACTION_ALLOW)
        as_expected &= auraguard_record_result_fast(g, r.call_id, true, (const uint8_t *)payload,
                                                    sizeof payload - 1, NULL, 0, -1,
                                                    NULL) == AURAGUARD_OK;
    auraguard_decision_free(r.details);
    return as_expected;
}

/* Write `prefix`, the decimal digits of `n` (n >= 0) and `suffix` into
 * `out` (room for them all and a NUL); returns the length. The arguments of
 * each call are built as the Go workloads build them (strconv.AppendInt),
 * so that the figure is the library's cost and not printf's, which was
 * about a tenth of a distinct read's time. */
static size_t append_id(char *out, const char *prefix, long n, const char *suffix) {
    size_t len = strlen(prefix);
    memcpy(out, prefix, len);
    char digits[24];
    int d = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (d > 0) out[len++] = digits[--d];
    size_t tail = strlen(suffix);
    memcpy(out + len, suffix, tail + 1);
    return len + tail;
}

static int distinct_read_fast(auraguard_guard *g, long i) {
    char args[64];
    size_t n = append_id(args, "{\"order_id\":\"A-", i, "\"}");
    return check_and_record_fast(g, "get_order", args, n, AURAGUARD_ACTION_ALLOW);
}

static int distinct_read(auraguard_guard *g, long i) {
    char args[64];
    append_id(args, "{\"order_id\":\"A-", i, "\"}");
    return check_and_record(g, "get_order", args, "{\"action\":\"allow\"");
}

/* 16 words; query k is words k..k+4 (mod 16): consecutive queries share four
 * words, and no query repeats within the 12-call window. The 16 argument
 * texts are made once, as the Go, C# and Ruby workloads make them. */
static const char *const vocab[16] = {"refund", "policy", "germany", "shipping", "delay",
                                      "invoice", "warranty", "return",  "label",    "customs",
                                      "express", "tracking", "damaged", "parcel",  "credit",
                                      "voucher"};
static char queries[16][128];
static size_t query_len[16];

static void make_queries(void) {
    for (int k = 0; k < 16; k++) {
        int n = snprintf(queries[k], sizeof queries[k], "{\"query\":\"%s %s %s %s %s\"}", vocab[k],
                         vocab[(k + 1) % 16], vocab[(k + 2) % 16], vocab[(k + 3) % 16],
                         vocab[(k + 4) % 16]);
        query_len[k] = (size_t)n;
    }
}

static int jittery_query(auraguard_guard *g, long i) {
    return check_and_record(g, "search_kb", queries[i % 16], "{\"action\":\"allow\"");
}

static int jittery_query_fast(auraguard_guard *g, long i) {
    long k = i % 16;
    return check_and_record_fast(g, "search_kb", queries[k], query_len[k], AURAGUARD_ACTION_ALLOW);
}

/* The same queries with a page number that never repeats: the argument text
 * is new on every call (its signature cannot come from the guard's memo of
 * recent texts), the query and its scoring are those of jittery_query. */
static int jittery_query_unique_fast(auraguard_guard *g, long i) {
    char args[192];
    long k = i % 16;
    static const char page[] = ",\"page\":";
    char prefix[160];
    size_t head = query_len[k] - 1; /* the query without its closing brace */
    memcpy(prefix, queries[k], head);
    memcpy(prefix + head, page, sizeof page); /* with its NUL */
    size_t n = append_id(args, prefix, i, "}");
    return check_and_record_fast(g, "search_kb", args, n, AURAGUARD_ACTION_ALLOW);
}

/* The order a get_order call returns, after its order_id: the same 20 line
 * items for every order (made once by make_order), so that each result is
 * new text of one size. The Go, C#, Ruby and Python workloads make it by the
 * same rule. */
static char order_rest[2048];

static void make_order(void) {
    size_t n = (size_t)snprintf(order_rest, sizeof order_rest, "\",\"status\":\"shipped\",\"items\":[");
    for (int k = 0; k < 20; k++)
        n += (size_t)snprintf(order_rest + n, sizeof order_rest - n,
                              "%s{\"sku\":\"SKU-%05d\",\"name\":\"Item number %d\",\"qty\":%d,"
                              "\"price\":%d.99}",
                              k ? "," : "", k * 7, k, k % 5 + 1, k + 10);
    snprintf(order_rest + n, sizeof order_rest - n, "],\"customer\":{\"id\":4711,\"tier\":\"gold\"}}");
}

/* check + record of a new order, its result the order itself; 0 unless allowed. */
static int distinct_result_fast(auraguard_guard *g, long i) {
    char args[64], payload[2112];
    size_t n = append_id(args, "{\"order_id\":\"A-", i, "\"}");
    size_t p = append_id(payload, "{\"order_id\":\"A-", i, order_rest);
    auraguard_check_result r;
    if (auraguard_check_tool_fast(g, (const uint8_t *)"get_order", 9, (const uint8_t *)args, n,
                                  (const uint8_t *)"T-1", 3, -1, &r, NULL) != AURAGUARD_OK)
        return 0;
    int allowed = r.action == AURAGUARD_ACTION_ALLOW &&
                  auraguard_record_result_fast(g, r.call_id, true, (const uint8_t *)payload, p, NULL,
                                               0, -1, NULL) == AURAGUARD_OK;
    auraguard_decision_free(r.details);
    return allowed;
}

/* The same through the JSON API: the result object with the order as its payload. */
static int distinct_result(auraguard_guard *g, long i) {
    char args[64], result[2144];
    append_id(args, "{\"order_id\":\"A-", i, "\"}");
    size_t p = append_id(result, "{\"ok\":true,\"payload\":{\"order_id\":\"A-", i, order_rest);
    memcpy(result + p, "}", 2);
    char *d = NULL;
    if (auraguard_check_tool(g, "get_order", args, "T-1", -1, &d, NULL) != AURAGUARD_OK) return 0;
    int allowed = starts_with(d, "{\"action\":\"allow\"") &&
                  auraguard_record_result(g, result, NULL) == AURAGUARD_OK;
    auraguard_string_free(d);
    return allowed;
}

static const char *const repeated_args = "{\"order_id\":\"A-1\"}";

static void prime_cache(auraguard_guard *g) {
    for (int i = 0; i < 2; i++) check_and_record(g, "get_order", repeated_args, "");
}

static int cached_repeat(auraguard_guard *g, long i) {
    (void)i;
    return check_and_record(g, "get_order", repeated_args, "{\"action\":\"cache\"");
}

static int cached_repeat_fast(auraguard_guard *g, long i) {
    (void)i;
    return check_and_record_fast(g, "get_order", repeated_args, strlen(repeated_args),
                                 AURAGUARD_ACTION_CACHE);
}

/* Four 40-word messages that differ enough not to look like a stall. */
static const char *const messages[4] = {
    "Thanks for waiting. Your order A-100 left our warehouse on Monday and the carrier "
    "expects to deliver it on Thursday before noon. If it does not arrive by Friday, reply "
    "here and we will send a replacement at no cost, with express shipping included.",
    "I checked the refund you asked about. The amount of twenty five euros was approved "
    "today and goes back to the card you paid with. Banks usually need three to five "
    "working days to show it; your reference number is R-2291 for questions.",
    "The warranty covers the blender motor for two years from purchase, but not the glass "
    "jug. Since the jug cracked during delivery, that counts as transport damage: please "
    "send a photo of the box and the crack, and a new jug ships.",
    "Your account now uses the new billing address in Munich. Future invoices will show it "
    "automatically, and the invoice from last week can be reissued if you need it for "
    "accounting. Nothing else changes about your subscription, plan, price or renewal date.",
};

static int check_output(auraguard_guard *g, long i) {
    char *d = NULL;
    if (auraguard_check_output(g, messages[i % 4], &d, NULL) != AURAGUARD_OK) return 0;
    int nothing_to_do = d == NULL;
    auraguard_string_free(d);
    return nothing_to_do;
}

/* Four messages like those above, each with a cue word of the stall phrases
 * (a nuisance named, "still" or "let" in another sense): the guard must
 * search them for the phrases, and they are still no stall. */
static const char *const cued_messages[4] = {
    "Thanks for waiting. There is no issue with your order A-100: it left our warehouse on Monday "
    "and the carrier expects to deliver it on Thursday before noon. If it does not arrive by Friday, "
    "reply here and we will send a replacement at no cost.",
    "I checked the refund you asked about. The amount of twenty five euros was approved today and "
    "goes back to the card you paid with. Banks still need three to five working days to show it; "
    "your reference number is R-2291 for questions.",
    "The warranty covers the blender motor for two years from purchase, but not the glass jug. The "
    "crack is a transport problem, so please send a photo of the box and the crack, and a new jug "
    "ships.",
    "Your account now uses the new billing address in Munich. Future invoices will show it, and we can "
    "let the invoice from last week be reissued if you need it for accounting. Nothing else changes "
    "about your plan.",
};

static int check_output_fast_of(auraguard_guard *g, const char *m) {
    auraguard_decision *d = NULL;
    if (auraguard_check_output_fast(g, (const uint8_t *)m, strlen(m), &d, NULL) != AURAGUARD_OK) return 0;
    int nothing_to_do = d == NULL;
    auraguard_decision_free(d);
    return nothing_to_do;
}

static int check_output_fast(auraguard_guard *g, long i) { return check_output_fast_of(g, messages[i % 4]); }

static int check_output_cued_fast(auraguard_guard *g, long i) {
    return check_output_fast_of(g, cued_messages[i % 4]);
}

/* A budget far out of reach: checked on every call, never reached. */
#define BUDGET ",\"max_cost_per_run\":1000000"
#define READS "{\"secret_key\":\"bench\"" BUDGET "}"
#define JITTER "{\"secret_key\":\"bench\",\"arg_jitter_repeat_threshold\":1000000" BUDGET "}"
#define CACHE                                                                              \
    "{\"secret_key\":\"bench\",\"repeat_toolcall_threshold\":2,\"max_intervention_log\":100000," \
    "\"max_cache_entries\":100000" BUDGET "}"

static const workload workloads[] = {
    {"distinct_reads", READS, NULL, distinct_read},
    {"distinct_reads_fast", READS, NULL, distinct_read_fast},
    {"distinct_results", READS, NULL, distinct_result},
    {"distinct_results_fast", READS, NULL, distinct_result_fast},
    {"jittery_queries", JITTER, NULL, jittery_query},
    {"jittery_queries_fast", JITTER, NULL, jittery_query_fast},
    {"jittery_queries_unique_fast", JITTER, NULL, jittery_query_unique_fast},
    {"cached_repeat", CACHE, prime_cache, cached_repeat},
    {"cached_repeat_fast", CACHE, prime_cache, cached_repeat_fast},
    {"check_output", READS, NULL, check_output},
    {"check_output_fast", READS, NULL, check_output_fast},
    {"check_output_cued_fast", READS, NULL, check_output_cued_fast},
};

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Never inlined, so make bench-profile can count this function alone
 * (callgrind --toggle-collect=measure). */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* The median ns per operation over `batches` batches; NAN on an off-workload answer. */
static NOINLINE double measure(const workload *w, int batches, long iterations) {
    double *per_op = calloc((size_t)batches, sizeof *per_op);
    /* Batch -1 warms caches and the allocator and is not counted. */
    for (int b = -1; b < batches; b++) {
        auraguard_guard *g = NULL;
        char *err = NULL;
        if (auraguard_guard_new(w->config, &g, &err) != AURAGUARD_OK) {
            fprintf(stderr, "%s: configuration rejected: %s\n", w->name, err);
            auraguard_string_free(err);
            free(per_op);
            return NAN;
        }
        if (w->prime) w->prime(g);
        long off = 0;
        double start = now_ns();
        for (long i = 0; i < iterations; i++) off += !w->op(g, i);
        double elapsed = now_ns() - start;
        auraguard_guard_free(g);
        if (off) {
            fprintf(stderr, "%s: %ld of %ld decisions were not what the workload expects\n",
                    w->name, off, iterations);
            free(per_op);
            return NAN;
        }
        if (b >= 0) per_op[b] = elapsed / (double)iterations;
    }
    qsort(per_op, (size_t)batches, sizeof *per_op, cmp_double);
    double median = batches % 2 ? per_op[batches / 2]
                                : (per_op[batches / 2 - 1] + per_op[batches / 2]) / 2;
    free(per_op);
    return median;
}

int main(int argc, char **argv) {
    make_queries();
    make_order();
    int json = 0, batches = 9;
    long iterations = 20000;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
            batches = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = atol(argv[++i]);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--json] [--batches N] [--iterations N] [--only NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    if (batches < 1 || iterations < 1) {
        fprintf(stderr, "--batches and --iterations must be at least 1\n");
        return 2;
    }
    size_t n = sizeof workloads / sizeof workloads[0];
    int failed = 0, printed = 0;
    if (json) printf("{");
    for (size_t k = 0; k < n; k++) {
        if (only && strcmp(only, workloads[k].name) != 0) continue;
        double median = measure(&workloads[k], batches, iterations);
        if (isnan(median)) {
            failed = 1;
            continue;
        }
        if (json)
            printf("%s\"%s\": %.1f", printed ? ", " : "", workloads[k].name, median);
        else
            printf("%-16s %10.1f %10ld\n", workloads[k].name, median, (long)batches * iterations);
        printed++;
        fflush(stdout);
    }
    if (json) printf("}\n");
    if (only && !printed && !failed) {
        fprintf(stderr, "no workload is called %s\n", only);
        return 2;
    }
    return failed;
}

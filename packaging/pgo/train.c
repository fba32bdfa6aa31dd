/*
 * The training run of the release build's profile-guided optimization
 * (packaging/pgo/build.sh): agent runs of the kinds the library serves,
 * through every way the C API and the language wrappers call it, so that
 * the compiler learns which branches an ordinary run takes.
 *
 * It is not the benchmark: the tools, argument shapes, payloads, run
 * lengths and mixes are its own, drawn from a fixed pseudo-random
 * sequence. Each run, on a fresh guard, interleaves:
 *
 *   reads with new arguments of several shapes (strings, numbers, arrays,
 *   nested objects, non-ASCII text), repeats of recent calls (cache hits
 *   and repeat blocks), reworded searches, side effects with a ticket (a
 *   refund asked again), failing tools with an error code, assistant
 *   messages (plain, apologies that stall, the JSON outcome a rewrite asks
 *   for), token costs, and now and then the stats, a report and a saved
 *   state loaded back.
 *
 * Runs take turns between the four ways in: the JSON calls, the decision
 * handle, the hot path (auraguard_check_tool_fast) and the call block (as
 * the Go, C# and Ruby wrappers call it). Any status other than OK is an
 * error (exit 1), so a broken instrumented build cannot train silently.
 *
 *   usage: train [RUNS]     (default 600)
 */
#define _POSIX_C_SOURCE 200809L
#include <auraguard.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum api { API_JSON, API_HANDLE, API_FAST, API_BLOCK, API_COUNT };

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* How often each action came back (printed at the end, to show the mix). */
static long actions[AURAGUARD_ACTION_FINALIZE + 2];

/* xorshift64*: the same sequence on every machine. */
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 33) % n;
}

static void need(auraguard_status st, const char *what, const char *error) {
    if (st == AURAGUARD_OK) return;
    fprintf(stderr, "train: %s failed (%s): %s\n", what, auraguard_status_name(st), error ? error : "");
    exit(1);
}

/* The arguments of one read, in one of six shapes. */
static int read_args(char *out, size_t cap, const char **tool, uint32_t n) {
    switch (n % 6) {
    case 0: *tool = "lookup_customer"; return snprintf(out, cap, "{\"customer_id\":\"C-%u\"}", n);
    case 1:
        *tool = "get_invoice";
        return snprintf(out, cap, "{\"invoice\":%u,\"expand\":[\"lines\",\"tax\"],\"currency\":\"EUR\"}", n);
    case 2:
        *tool = "fetch_page";
        return snprintf(out, cap, "{\"url\":\"https://docs.example.com/p/%u\",\"headers\":{\"accept\":\"text/html\"}}", n);
    case 3:
        *tool = "list_orders";
        return snprintf(out, cap, "{\"status\":\"open\",\"page\":%u,\"page_size\":25,\"desc\":true}", n % 40);
    case 4:
        *tool = "lookup_customer";
        return snprintf(out, cap, "{\"name\":\"J\xc3\xbcrgen M\xc3\xbcller %u\",\"city\":\"K\xc3\xb6ln\"}", n);
    default:
        *tool = "get_shipment";
        return snprintf(out, cap, "{ \"tracking\" : \"1Z%08u\", \"carrier\" : \"ups\", \"amount\" : %u.5 }", n, n % 90);
    }
}

static const char *const words[12] = {"return", "window", "warranty", "laptop", "battery", "swollen",
                                      "replacement", "europe", "policy", "days", "receipt", "store"};

/* A search: three to six words of the vocabulary, so that successive
 * searches overlap as an agent's rewordings do. */
static int search_args(char *out, size_t cap) {
    int len = snprintf(out, cap, "{\"query\":\"");
    int count = 3 + (int)rnd(4);
    for (int w = 0; w < count; w++) len += snprintf(out + len, cap - (size_t)len, "%s%s", w ? " " : "", words[rnd(12)]);
    return len + snprintf(out + len, cap - (size_t)len, "\",\"limit\":%u}", 5 + rnd(3));
}

/* A payload: small, a list, or about a kilobyte. */
static int payload(char *out, size_t cap, uint32_t n) {
    switch (n % 5) {
    case 0:
    case 1: return snprintf(out, cap, "{\"status\":\"active\",\"tier\":\"gold\",\"balance\":%u.25}", n % 500);
    case 2: return snprintf(out, cap, "[\"Returns are accepted within 30 days.\",\"Keep the receipt.\"]");
    case 3: return snprintf(out, cap, "\"ok\"");
    default: {
        int len = snprintf(out, cap, "{\"lines\":[");
        for (int i = 0; i < 12; i++)
            len += snprintf(out + len, cap - (size_t)len, "%s{\"sku\":\"S-%u-%d\",\"qty\":%d,\"price\":%d.99}",
                            i ? "," : "", n, i, 1 + i % 3, 3 + i * 7);
        return len + snprintf(out + len, cap - (size_t)len, "],\"total\":%u.40}", n % 1000);
    }
    }
}

static const char *const messages[6] = {
    "Your order shipped yesterday and should arrive on Thursday; the tracking link is in your email.",
    "I'm sorry for the delay, I'm still looking into this for you.",
    "I'm sorry for the delay, I'm still looking into this for you.",
    "I apologize, I am still checking on the refund status right now.",
    "Your refund of 25 EUR was issued to the original card; it takes 3 to 5 business days.",
    "{\"action\":\"finalize\",\"reason\":\"refund_issued\","
    "\"reply_draft\":\"Your refund was issued; you will see it within 5 days.\"}",
};

/* The action of a decision given as JSON, or -1 when it names none. */
static int json_action(const char *decision) {
    static const char *const names[] = {"allow", "block", "cache", "rewrite", "escalate", "finalize"};
    const char *at = strstr(decision, "\"action\":\"");
    if (!at) return -1;
    at += strlen("\"action\":\"");
    for (int a = 0; a < 6; a++) {
        size_t n = strlen(names[a]);
        if (strncmp(at, names[a], n) == 0 && at[n] == '"') return a;
    }
    return -1;
}

/* One guard's way in and what it needs for that. */
typedef struct {
    auraguard_guard *g;
    auraguard_call *block;
    enum api api;
} run;

/* One tool call through the run's way in: the check, then (when allowed)
 * the tool's result. Returns the action. */
static int tool_call(run *r, const char *tool, const char *args, int args_len, const char *ticket,
                     int side_effect, int fails, uint32_t n) {
    char result[2048], body[1800];
    int body_len = payload(body, sizeof body, n);
    const char *error_code = n % 2 ? "timeout" : "503";
    char *error = NULL;
    int action;
    uint64_t call_id = 0;
    switch (r->api) {
    case API_JSON: {
        char *d = NULL;
        need(auraguard_check_tool(r->g, tool, args, ticket, side_effect, &d, &error), "check_tool", error);
        action = json_action(d);
        auraguard_string_free(d);
        if (action < 0) need(AURAGUARD_ERR_INTERNAL, "check_tool's decision", "no known action");
        if (action != AURAGUARD_ACTION_ALLOW) return action;
        if (fails)
            snprintf(result, sizeof result, "{\"ok\":false,\"error_code\":\"%s\"}", error_code);
        else
            snprintf(result, sizeof result, "{\"ok\":true,\"payload\":%s}", body);
        need(auraguard_record_result(r->g, result, &error), "record_result", error);
        return action;
    }
    case API_HANDLE: {
        auraguard_decision *d = NULL;
        need(auraguard_check_tool_decision(r->g, tool, args, ticket, side_effect, &d, &error),
             "check_tool_decision", error);
        action = auraguard_decision_action(d);
        if (action == AURAGUARD_ACTION_CACHE) {
            auraguard_cached_result c;
            auraguard_decision_cached_result(d, &c);
        }
        if (action == AURAGUARD_ACTION_ALLOW) auraguard_decision_call_id(d, &call_id);
        auraguard_decision_free(d);
        if (action != AURAGUARD_ACTION_ALLOW) return action;
        if (fails)
            snprintf(result, sizeof result, "{\"ok\":false,\"error_code\":\"%s\",\"call_id\":%" PRIu64 "}",
                     error_code, call_id);
        else
            snprintf(result, sizeof result, "{\"ok\":true,\"payload\":%s,\"call_id\":%" PRIu64 "}", body,
                     call_id);
        need(auraguard_record_result(r->g, result, &error), "record_result", error);
        return action;
    }
    case API_FAST: {
        auraguard_check_result c;
        need(auraguard_check_tool_fast(r->g, (const uint8_t *)tool, strlen(tool), (const uint8_t *)args,
                                       (size_t)args_len, (const uint8_t *)ticket, ticket ? strlen(ticket) : 0,
                                       side_effect, &c, &error),
             "check_tool_fast", error);
        action = c.action;
        auraguard_decision_free(c.details);
        if (action != AURAGUARD_ACTION_ALLOW) return action;
        need(auraguard_record_result_fast(r->g, c.call_id, !fails, fails ? NULL : (const uint8_t *)body,
                                          fails ? 0 : (size_t)body_len, fails ? (const uint8_t *)error_code : NULL,
                                          fails ? strlen(error_code) : 0, -1, &error),
             "record_result_fast", error);
        return action;
    }
    default: {
        auraguard_call *b = r->block;
        need(auraguard_call_check_bytes(b, (const uint8_t *)tool, strlen(tool), (const uint8_t *)args,
                                        (size_t)args_len, (const uint8_t *)ticket, ticket ? strlen(ticket) : 0,
                                        side_effect),
             "call_check_bytes", b->error);
        action = b->result.action;
        auraguard_decision_free(b->result.details);
        if (action != AURAGUARD_ACTION_ALLOW) return action;
        if (fails)
            need(auraguard_call_record(b, b->result.call_id, false, NULL, error_code, -1), "call_record", b->error);
        else
            need(auraguard_call_record_ok(b, b->result.call_id, body), "call_record_ok", b->error);
        return action;
    }
    }
}

/* One assistant message. Returns the action, or -1 for nothing to do. */
static int message(run *r, const char *text) {
    char *error = NULL;
    if (r->api == API_JSON) {
        char *d = NULL;
        need(auraguard_check_output(r->g, text, &d, &error), "check_output", error);
        int action = d ? json_action(d) : -1;
        auraguard_string_free(d);
        if (d && action < 0) need(AURAGUARD_ERR_INTERNAL, "check_output's decision", "no known action");
        return action;
    }
    auraguard_decision *d = NULL;
    if (r->api == API_HANDLE)
        need(auraguard_check_output_decision(r->g, text, &d, &error), "check_output_decision", error);
    else
        need(auraguard_check_output_fast(r->g, (const uint8_t *)text, strlen(text), &d, &error),
             "check_output_fast", error);
    int action = d ? (int)auraguard_decision_action(d) : -1;
    auraguard_decision_free(d);
    return action;
}

static void inspect(run *r) {
    char *out = NULL, *error = NULL;
    need(auraguard_stats_json(r->g, &out, &error), "stats_json", error);
    auraguard_string_free(out);
    need(auraguard_report_json(r->g, &out, &error), "report_json", error);
    auraguard_string_free(out);
    need(auraguard_state_save(r->g, &out, &error), "state_save", error);
    need(auraguard_state_load(r->g, out, &error), "state_load", error);
    auraguard_string_free(out);
}

static const char *const configs[3] = {
    "{\"secret_key\":\"train\",\"max_cost_per_run\":50.0}",
    "{\"secret_key\":\"train\",\"max_cost_per_run\":20.0,\"repeat_toolcall_threshold\":2,"
    "\"side_effect_tools\":[\"refund\",\"send_email\"],"
    "\"never_cache_tools\":[\"list_orders\"]}",
    "{\"secret_key\":\"train\",\"strict_mode\":true,\"max_cost_per_run\":5.0,\"max_calls_per_tool\":300}",
};

static void one_run(int index, int steps) {
    run r = {NULL, NULL, (enum api)(index % API_COUNT)};
    char *error = NULL;
    need(auraguard_guard_new(configs[index % 3], &r.g, &error), "guard_new", error);
    if (r.api == API_BLOCK) need(auraguard_call_new(r.g, &r.block, &error), "call_new", error);

    char args[512], recent[8][512];
    int recent_len[8] = {0};
    const char *recent_tool[8] = {0};
    uint32_t base = (uint32_t)index * 100000u;
    int rewritten = 0, reads = 0;
    for (int s = 0; s < steps; s++) {
        uint32_t pick = rnd(100), n = base + (uint32_t)s;
        const char *tool = NULL;
        int len, action = AURAGUARD_ACTION_ALLOW;
        if (pick < 34) { /* a read with new arguments */
            len = read_args(args, sizeof args, &tool, n);
            action = tool_call(&r, tool, args, len, NULL, 0, 0, n);
            int slot = reads++ % 8;
            memcpy(recent[slot], args, (size_t)len + 1);
            recent_len[slot] = len;
            recent_tool[slot] = tool;
        } else if (pick < 52) { /* one of the last three reads again */
            if (reads == 0) continue;
            int slot = (reads + 7 - (int)rnd(reads < 3 ? (uint32_t)reads : 3)) % 8;
            action = tool_call(&r, recent_tool[slot], recent[slot], recent_len[slot], NULL, 0, 0, n);
        } else if (pick < 64) { /* a search, reworded */
            len = search_args(args, sizeof args);
            action = tool_call(&r, "search_kb", args, len, NULL, 0, 0, n);
        } else if (pick < 68) { /* a side effect, sometimes asked again */
            uint32_t order = (uint32_t)index * 10 + rnd(3);
            len = snprintf(args, sizeof args, "{\"order_id\":\"O-%u\",\"amount\":%u}", order, 10 + order % 50);
            action = tool_call(&r, pick < 66 ? "refund" : "send_email", args, len, "T-7", 1, 0, n);
        } else if (pick < 73) { /* a tool that fails */
            len = snprintf(args, sizeof args, "{\"sku\":\"S-%u\"}", rnd(4));
            action = tool_call(&r, "check_inventory", args, len, NULL, 0, 1, n);
        } else if (pick < 92) { /* a message: mostly answers, some stalling, the outcome after a rewrite */
            uint32_t m = rnd(10);
            const char *text = rewritten && m < 5 ? messages[5] : messages[m < 8 ? (m < 4 ? 0 : 4) : m - 7];
            action = message(&r, text);
            rewritten = action == AURAGUARD_ACTION_REWRITE;
        } else if (pick < 98) {
            need(auraguard_record_tokens(r.g, 400 + rnd(3000), 50 + rnd(800), rnd(2) ? NAN : 0.002, &error),
                 "record_tokens", error);
        } else {
            inspect(&r);
        }
        actions[action < 0 ? AURAGUARD_ACTION_FINALIZE + 1 : action]++;
        if (action == AURAGUARD_ACTION_ESCALATE || action == AURAGUARD_ACTION_FINALIZE) break;
    }
    auraguard_call_free(r.block);
    auraguard_guard_free(r.g);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 600;
    if (runs <= 0) {
        fprintf(stderr, "usage: %s [RUNS]\n", argv[0]);
        return 2;
    }
    /* Run lengths as agents have them: mostly short, some long. */
    static const int lengths[5] = {12, 30, 60, 250, 2000};
    for (int i = 0; i < runs; i++) one_run(i, lengths[rnd(5)]);
    printf("train: %d runs; allow %ld, block %ld, cache %ld, rewrite %ld, escalate %ld, finalize %ld, "
           "nothing to do %ld\n",
           runs, actions[0], actions[1], actions[2], actions[3], actions[4], actions[5], actions[6]);
    return 0;
}

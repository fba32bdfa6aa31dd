/* Eight threads sharing one guard: every call succeeds and the guard's
 * counters equal the sum of what the threads saw. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_field.h"

#include "harness.h"
#include "suites.h"
#include "workload.h"

#define THREADS 8
#define PAIRS_PER_THREAD 400

typedef struct {
    auraguard_guard *guard;
    int index;
    workload_tally tally;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    workload_run(w->guard, w->index, PAIRS_PER_THREAD, &w->tally);
    return NULL;
}

static void eight_threads_share_one_guard(void) {
    char config[128];
    snprintf(config, sizeof config, WORKLOAD_CONFIG_FMT, THREADS);
    auraguard_guard *g = new_guard(config);
    workload_events ev = {0};
    CHECK_STATUS(auraguard_set_event_callback(g, workload_on_event, &ev, NULL), AURAGUARD_OK,
                 NULL);
    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.guard = g, .index = i};
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    workload_tally sum = {0};
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        workload_add(&sum, &workers[i].tally);
    }
    CHECK(workload_compare(g, &sum, &ev) == 0);
    /* The workload exercises more than one outcome. */
    if (!CHECK(sum.allows > 0 && sum.caches > 0 && sum.blocks > 0))
        printf("    allows %ld, caches %ld, blocks %ld\n", sum.allows, sum.caches, sum.blocks);
    auraguard_guard_free(g);
}

/* N threads x M distinct read pairs through the hot path: with
 * max_pending_calls sized to the threads, no pair drops another's pending
 * call, so every tool run is in tool_calls_executed. */
typedef struct {
    auraguard_guard *guard;
    int index;
    int failures;
} pair_worker;

static void *run_pairs(void *arg) {
    pair_worker *w = arg;
    for (int i = 0; i < PAIRS_PER_THREAD; i++) {
        char args[64];
        int n = snprintf(args, sizeof args, "{\"order_id\":\"%d-%d\"}", w->index, i);
        auraguard_check_result r;
        char *err = NULL;
        if (auraguard_check_tool_fast(w->guard, (const uint8_t *)"get_order", 9, (const uint8_t *)args,
                                      (size_t)n, NULL, 0, -1, &r, &err) != AURAGUARD_OK ||
            r.action != AURAGUARD_ACTION_ALLOW) {
            auraguard_string_free(err);
            w->failures++;
            continue;
        }
        auraguard_decision_free(r.details);
        if (auraguard_record_result_fast(w->guard, r.call_id, true, (const uint8_t *)"{}", 2, NULL, 0, -1,
                                         &err) != AURAGUARD_OK) {
            auraguard_string_free(err);
            w->failures++;
        }
    }
    return NULL;
}

static void n_threads_times_m_pairs_are_all_executed(void) {
    char config[160];
    snprintf(config, sizeof config,
             "{\"secret_key\":\"k\",\"max_pending_calls\":%d,\"max_calls_per_tool\":%d}", THREADS,
             THREADS * PAIRS_PER_THREAD);
    auraguard_guard *g = new_guard(config);
    pair_worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (pair_worker){.guard = g, .index = i};
        CHECK(pthread_create(&threads[i], NULL, run_pairs, &workers[i]) == 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        failures += workers[i].failures;
    }
    CHECK(failures == 0);
    char *json = stats(g);
    CHECK(json_num(json, "tool_calls_executed", -1) == THREADS * PAIRS_PER_THREAD);
    CHECK(json_num(json, "missed_results", -1) == 0);
    CHECK(json_num(json, "pending_calls", -1) == 0);
    auraguard_string_free(json);
    auraguard_guard_free(g);
}

void suite_threads(void) {
    RUN(eight_threads_share_one_guard);
    RUN(n_threads_times_m_pairs_are_all_executed);
}

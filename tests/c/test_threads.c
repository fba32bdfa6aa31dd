/* Eight threads sharing one guard: every call succeeds and the guard's
 * counters equal the sum of what the threads saw. */
#include <pthread.h>
#include <stdio.h>

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

void suite_threads(void) { RUN(eight_threads_share_one_guard); }

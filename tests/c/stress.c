/*
 * Stress: 16 threads x 100,000 check + record pairs on one guard through the
 * C API, with an event callback counting events atomically. At the end the
 * guard's counters must equal the sum of what the threads saw, and the
 * events must agree with both. Prints the totals; exits non-zero on any
 * mismatch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

#define THREADS 16
#define DEFAULT_PAIRS 100000L

typedef struct {
    auraguard_guard *guard;
    int index;
    long pairs;
    workload_tally tally;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    workload_run(w->guard, w->index, w->pairs, &w->tally);
    return NULL;
}

int main(int argc, char **argv) {
    /* An optional argument overrides the pairs per thread (for quick runs). */
    long pairs = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_PAIRS;
    if (pairs <= 0) {
        fprintf(stderr, "usage: %s [pairs_per_thread > 0]\n", argv[0]);
        return 2;
    }
    char config[160];
    snprintf(config, sizeof config, WORKLOAD_CONFIG_FMT, THREADS);
    auraguard_guard *g = NULL;
    char *err = NULL;
    if (auraguard_guard_new(config, &g, &err) != AURAGUARD_OK) {
        fprintf(stderr, "stress: guard rejected: %s\n", err);
        auraguard_string_free(err);
        return 1;
    }
    static workload_events events;
    if (auraguard_set_event_callback(g, workload_on_event, &events, NULL) != AURAGUARD_OK) {
        fprintf(stderr, "stress: could not set the event callback\n");
        return 1;
    }

    static worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.guard = g, .index = i, .pairs = pairs};
        if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            return 1;
        }
    }
    workload_tally sum = {0};
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        workload_add(&sum, &workers[i].tally);
    }

    int mismatches = workload_compare(g, &sum, &events);
    printf("stress: %d threads x %ld pairs: %ld allowed (%ld failed), %ld cached, %ld blocked, "
           "%ld rewritten, %ld escalated; %ld intervention and %ld cost events\n",
           THREADS, pairs, sum.allows, sum.failed_records, sum.caches, sum.blocks, sum.rewrites,
           sum.escalations, (long)atomic_load(&events.interventions),
           (long)atomic_load(&events.cost));
    auraguard_guard_free(g);
    if (mismatches) {
        printf("stress: FAILED, %d counters disagree\n", mismatches);
        return 1;
    }
    printf("stress: counters and events agree\n");
    return 0;
}

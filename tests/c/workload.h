/*
 * A concurrent workload on one shared guard, used by the threads test and
 * the stress program: each worker makes check + record pairs and tallies
 * what the guard told it, so the guard's final counters can be compared
 * with the sum over the workers.
 */
#ifndef AURAGUARD_TEST_WORKLOAD_H
#define AURAGUARD_TEST_WORKLOAD_H

#include <stdatomic.h>

#include "auraguard.h"

/* What one worker saw. */
typedef struct {
    long allows;          /* allowed, then recorded */
    long failed_records;  /* of those, recorded with ok=false */
    long blocks;
    long caches;
    long rewrites;
    long escalations;     /* escalate or finalize */
    long api_errors;      /* a call that did not return AURAGUARD_OK */
} workload_tally;

/* The configuration the workload expects, given the number of workers: each
 * worker's call may await its result while the others check theirs, and the
 * recent-call window is long enough for a worker's repeats to meet. */
#define WORKLOAD_CONFIG_FMT \
    "{\"secret_key\":\"workload-key\",\"max_pending_calls\":%d,\"tool_loop_window\":64}"

/* Counts events by kind, from any thread. */
typedef struct {
    atomic_long interventions;
    atomic_long cost;
    atomic_long other;
    atomic_long leaked;  /* an event carrying a raw argument or ticket id */
} workload_events;

/* The event callback for workload_events (user_data). */
void workload_on_event(const char *event_json, void *user_data);

/* Make `iterations` check + record pairs as worker `worker`. */
void workload_run(auraguard_guard *g, int worker, long iterations, workload_tally *out);

/* Add `t` to `sum`. */
void workload_add(workload_tally *sum, const workload_tally *t);

/* Compare the guard's stats with `sum` and the events with both; print
 * each mismatch to stderr and return how many there were. */
int workload_compare(auraguard_guard *g, const workload_tally *sum, const workload_events *ev);

#endif

/* The C test harness; see harness.h. */
#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int failures_in_test;
static int tests_passed;
static int tests_failed;

bool check_that(bool ok, const char *what, const char *file, int line) {
    if (!ok) {
        atomic_fetch_add(&failures_in_test, 1);
        fprintf(stdout, "  check failed at %s:%d: %s\n", file, line, what);
    }
    return ok;
}

bool check_status(auraguard_status got, auraguard_status want, const char *err, const char *what,
                  const char *file, int line) {
    if (got == want) return true;
    atomic_fetch_add(&failures_in_test, 1);
    fprintf(stdout, "  check failed at %s:%d: %s returned %s, expected %s (%s)\n", file, line,
            what, auraguard_status_name(got), auraguard_status_name(want),
            err ? err : "no message");
    return false;
}

bool check_decision(const char *decision, const char *action, const char *reason,
                    const char *file, int line) {
    if (decision && json_str_eq(decision, "action", action) &&
        json_str_eq(decision, "reason", reason))
        return true;
    atomic_fetch_add(&failures_in_test, 1);
    fprintf(stdout, "  check failed at %s:%d: expected %s/%s, got %s\n", file, line, action,
            reason, decision ? decision : "NULL");
    return false;
}

void run_test(const char *name, void (*fn)(void)) {
    atomic_store(&failures_in_test, 0);
    fn();
    if (atomic_load(&failures_in_test) == 0) {
        tests_passed++;
        printf("ok    %s\n", name);
    } else {
        tests_failed++;
        printf("FAIL  %s\n", name);
    }
    fflush(stdout);
}

int test_summary(void) {
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}

auraguard_guard *new_guard(const char *config_json) {
    auraguard_guard *g = NULL;
    char *err = NULL;
    auraguard_status s = auraguard_guard_new(config_json, &g, &err);
    check_status(s, AURAGUARD_OK, err, config_json, __FILE__, __LINE__);
    auraguard_string_free(err);
    return g;
}

char *decide(auraguard_guard *g, const char *tool, const char *args, const char *ticket) {
    char *d = NULL;
    char *err = NULL;
    auraguard_status s = auraguard_check_tool(g, tool, args, ticket, -1, &d, &err);
    check_status(s, AURAGUARD_OK, err, tool, __FILE__, __LINE__);
    auraguard_string_free(err);
    return d;
}

void record(auraguard_guard *g, const char *result_json) {
    char *err = NULL;
    auraguard_status s = auraguard_record_result(g, result_json, &err);
    check_status(s, AURAGUARD_OK, err, result_json, __FILE__, __LINE__);
    auraguard_string_free(err);
}

char *decide_and_record_ok(auraguard_guard *g, const char *tool, const char *args,
                           const char *ticket) {
    char *d = decide(g, tool, args, ticket);
    if (d && json_str_eq(d, "action", "allow")) record(g, "{\"ok\":true}");
    return d;
}

char *stats(auraguard_guard *g) {
    char *json = NULL;
    char *err = NULL;
    auraguard_status s = auraguard_stats_json(g, &json, &err);
    check_status(s, AURAGUARD_OK, err, "auraguard_stats_json", __FILE__, __LINE__);
    auraguard_string_free(err);
    return json;
}

double stat(auraguard_guard *g, const char *field) {
    char *json = stats(g);
    double value = json_num(json, field, -1);
    auraguard_string_free(json);
    return value;
}

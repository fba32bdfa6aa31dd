/*
 * The C test harness: checks that count failures (from any thread), a test
 * runner that prints one line per test and the summary, and helpers for the
 * calls every test makes.
 */
#ifndef AURAGUARD_TEST_HARNESS_H
#define AURAGUARD_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "auraguard.h"
#include "json_field.h"

/* Record a failed check (with where and what) unless `ok`; returns `ok`. */
bool check_that(bool ok, const char *what, const char *file, int line);
#define CHECK(cond) check_that((cond), #cond, __FILE__, __LINE__)

/* Check a status, printing the names and the error message when it differs. */
bool check_status(auraguard_status got, auraguard_status want, const char *err, const char *what,
                  const char *file, int line);
#define CHECK_STATUS(call, want, err) check_status((call), (want), (err), #call, __FILE__, __LINE__)

/* Check a decision's action and reason, printing the decision otherwise. */
bool check_decision(const char *decision, const char *action, const char *reason,
                    const char *file, int line);
#define CHECK_DECISION(d, action, reason) check_decision((d), (action), (reason), __FILE__, __LINE__)

/* Run one test function and count it as passed or failed. */
void run_test(const char *name, void (*fn)(void));
#define RUN(fn) run_test(#fn, fn)

/* Print "N passed, N failed" and return the process exit status. */
int test_summary(void);

/* A guard from `config_json`; a failed check (and NULL) when it is refused. */
auraguard_guard *new_guard(const char *config_json);

/* check_tool that must succeed; returns the decision (free it with
 * auraguard_string_free) or NULL after a failed check. */
char *decide(auraguard_guard *g, const char *tool, const char *args, const char *ticket);

/* record_result that must succeed. */
void record(auraguard_guard *g, const char *result_json);

/* check_tool + record {"ok":true} when allowed; returns the decision. */
char *decide_and_record_ok(auraguard_guard *g, const char *tool, const char *args,
                           const char *ticket);

/* stats_json that must succeed; free it with auraguard_string_free. */
char *stats(auraguard_guard *g);

/* A numeric stats counter of `g`. */
double stat(auraguard_guard *g, const char *field);

/* A pointer value no library would return, to see that outputs stay untouched. */
#define SENTINEL_PTR ((char *)(uintptr_t)0x5eed)

#endif

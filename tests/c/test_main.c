/* The C test program for libauraguard's C API: runs every suite and ends
 * with "N passed, N failed"; the exit status is non-zero on any failure. */
#include "harness.h"
#include "suites.h"

int main(void) {
    suite_basics();
    suite_decisions();
    suite_reports();
    suite_state();
    suite_calls();
    suite_events();
    suite_threads();
    suite_decision_handle();
    suite_ledger();
    suite_fast();
    return test_summary();
}

/* The suites of the C test program, one per file, run by test_main.c. */
#ifndef AURAGUARD_TEST_SUITES_H
#define AURAGUARD_TEST_SUITES_H

void suite_basics(void);
void suite_decisions(void);
void suite_reports(void);
void suite_state(void);
void suite_calls(void);
void suite_events(void);
void suite_threads(void);
void suite_decision_handle(void);
void suite_ledger(void);
void suite_fast(void);

#endif

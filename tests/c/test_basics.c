/* The API's edges: version, status names, configuration errors, the
 * error_out conventions, NULL arguments, invalid UTF-8 and malformed JSON. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define KEY_CONFIG "{\"secret_key\":\"test-key\"}"

static void version_matches_header(void) {
    CHECK(strcmp(auraguard_version(), AURAGUARD_VERSION) == 0);
    CHECK(strcmp(AURAGUARD_VERSION, "0.1.0") == 0);
}

static void status_names_are_stable(void) {
    CHECK(strcmp(auraguard_status_name(AURAGUARD_OK), "AURAGUARD_OK") == 0);
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_INVALID_ARGUMENT),
                 "AURAGUARD_ERR_INVALID_ARGUMENT") == 0);
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_CONFIG), "AURAGUARD_ERR_CONFIG") == 0);
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_MISUSE), "AURAGUARD_ERR_MISUSE") == 0);
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_STATE), "AURAGUARD_ERR_STATE") == 0);
    /* AURAGUARD_ERR_INTERNAL means a Rust panic was caught at the boundary.
     * No input from C can cause one (that would be the bug it reports), so
     * it is not triggered here; only its name and value are checked. */
    CHECK(strcmp(auraguard_status_name(AURAGUARD_ERR_INTERNAL), "AURAGUARD_ERR_INTERNAL") == 0);
    CHECK(AURAGUARD_OK == 0 && AURAGUARD_ERR_INVALID_ARGUMENT == 1 && AURAGUARD_ERR_CONFIG == 2 &&
          AURAGUARD_ERR_MISUSE == 3 && AURAGUARD_ERR_STATE == 4 && AURAGUARD_ERR_INTERNAL == 5);
    CHECK(strcmp(auraguard_status_name((auraguard_status)99), "AURAGUARD_UNKNOWN_STATUS") == 0);
    CHECK(strcmp(auraguard_status_name((auraguard_status)-1), "AURAGUARD_UNKNOWN_STATUS") == 0);
}

/* A rejected configuration: the status, a message naming `needle`, and
 * `guard_out` untouched. */
static void expect_config_error(const char *config, auraguard_status want, const char *needle) {
    auraguard_guard *g = (auraguard_guard *)(uintptr_t)0x5eed;
    char *err = NULL;
    CHECK_STATUS(auraguard_guard_new(config, &g, &err), want, err);
    CHECK(g == (auraguard_guard *)(uintptr_t)0x5eed);
    CHECK(err != NULL && strstr(err, needle) != NULL);
    auraguard_string_free(err);
}

static void bad_configurations_are_rejected_with_the_key(void) {
    expect_config_error("{\"secret_key\":\"k\",\"bogus\":1}", AURAGUARD_ERR_CONFIG, "bogus");
    expect_config_error("{}", AURAGUARD_ERR_CONFIG, "secret_key");
    expect_config_error("{\"secret_key\":\"k\",\"tool_loop_window\":\"x\"}", AURAGUARD_ERR_CONFIG,
                        "tool_loop_window");
    expect_config_error("{\"secret_key\":\"k\",\"max_pending_calls\":0}", AURAGUARD_ERR_CONFIG,
                        "max_pending_calls");
    expect_config_error("{\"secret_key\":", AURAGUARD_ERR_CONFIG, "JSON");
    expect_config_error("[]", AURAGUARD_ERR_CONFIG, "object");
    expect_config_error("{\"secret_key\":\"\xff\"}", AURAGUARD_ERR_INVALID_ARGUMENT, "UTF-8");
    expect_config_error(NULL, AURAGUARD_ERR_INVALID_ARGUMENT, "config_json");

    char *err = NULL;
    CHECK_STATUS(auraguard_guard_new(KEY_CONFIG, NULL, &err), AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(err != NULL && strstr(err, "guard_out") != NULL);
    auraguard_string_free(err);
}

static void shadow_mode_needs_no_secret_key(void) {
    auraguard_guard *g = new_guard("{\"shadow_mode\":true}");
    CHECK(g != NULL);
    auraguard_guard_free(g);
}

static void error_out_conventions(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);

    /* error_out may be NULL, on success and on failure. */
    char *d = NULL;
    CHECK_STATUS(auraguard_check_tool(g, "get_order", "{}", NULL, -1, &d, NULL), AURAGUARD_OK,
                 NULL);
    CHECK(d != NULL);
    auraguard_string_free(d);
    CHECK_STATUS(auraguard_check_tool(g, "get_order", "{", NULL, -1, &d, NULL),
                 AURAGUARD_ERR_INVALID_ARGUMENT, NULL);

    /* Set to NULL on success, whatever it held before. */
    char *err = SENTINEL_PTR;
    d = NULL;
    CHECK_STATUS(auraguard_check_tool(g, "get_order", "{\"order_id\":\"B\"}", NULL, -1, &d, &err),
                 AURAGUARD_OK, NULL);
    CHECK(err == NULL);
    auraguard_string_free(d);
    err = SENTINEL_PTR;
    CHECK_STATUS(auraguard_record_result(g, "{\"ok\":true}", &err), AURAGUARD_OK, NULL);
    CHECK(err == NULL);

    /* On failure: a message, and the output untouched. */
    d = SENTINEL_PTR;
    err = NULL;
    CHECK_STATUS(auraguard_check_tool(g, "get_order", "{\"order_id\":", NULL, -1, &d, &err),
                 AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(d == SENTINEL_PTR);
    CHECK(err != NULL && strlen(err) > 0);
    auraguard_string_free(err);

    char *json = SENTINEL_PTR;
    err = NULL;
    CHECK_STATUS(auraguard_stats_json(NULL, &json, &err), AURAGUARD_ERR_INVALID_ARGUMENT, err);
    CHECK(json == SENTINEL_PTR);
    auraguard_string_free(err);

    /* check_output writes NULL when there is nothing to do. */
    d = SENTINEL_PTR;
    CHECK_STATUS(auraguard_check_output(g, "", &d, NULL), AURAGUARD_OK, NULL);
    CHECK(d == NULL);
    auraguard_guard_free(g);
}

/* A rejected argument: INVALID_ARGUMENT with a message naming `needle`. The
 * message is read through `err` after the call has written it. */
static void expect_null_rejected(auraguard_status s, char **err, const char *needle) {
    CHECK_STATUS(s, AURAGUARD_ERR_INVALID_ARGUMENT, *err);
    if (!CHECK(*err != NULL && strstr(*err, needle) != NULL))
        printf("    message: %s; expected it to name %s\n", *err ? *err : "NULL", needle);
    auraguard_string_free(*err);
    *err = NULL;
}

static void null_arguments_are_rejected(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *out = SENTINEL_PTR;
    char *e = NULL;

    expect_null_rejected(auraguard_check_tool(NULL, "t", "{}", NULL, -1, &out, &e), &e, "guard");
    expect_null_rejected(auraguard_check_tool(g, NULL, "{}", NULL, -1, &out, &e), &e, "tool");
    expect_null_rejected(auraguard_check_tool(g, "t", "{}", NULL, -1, NULL, &e), &e,
                         "decision_json_out");
    expect_null_rejected(auraguard_record_result(NULL, "{\"ok\":true}", &e), &e, "guard");
    expect_null_rejected(auraguard_record_result(g, NULL, &e), &e, "result_json");
    expect_null_rejected(auraguard_check_output(NULL, "hi", &out, &e), &e, "guard");
    expect_null_rejected(auraguard_check_output(g, NULL, &out, &e), &e, "text");
    expect_null_rejected(auraguard_check_output(g, "hi", NULL, &e), &e, "decision_json_out");
    expect_null_rejected(auraguard_record_tokens(NULL, 1, 1, NAN, &e), &e, "guard");
    expect_null_rejected(auraguard_stats_json(NULL, &out, &e), &e, "guard");
    expect_null_rejected(auraguard_stats_json(g, NULL, &e), &e, "json_out");
    expect_null_rejected(auraguard_report_json(NULL, &out, &e), &e, "guard");
    expect_null_rejected(auraguard_report_json(g, NULL, &e), &e, "json_out");
    expect_null_rejected(auraguard_report_text(NULL, &out, &e), &e, "guard");
    expect_null_rejected(auraguard_report_text(g, NULL, &e), &e, "text_out");
    expect_null_rejected(auraguard_state_save(NULL, &out, &e), &e, "guard");
    expect_null_rejected(auraguard_state_save(g, NULL, &e), &e, "state_json_out");
    expect_null_rejected(auraguard_state_load(NULL, "{}", &e), &e, "guard");
    expect_null_rejected(auraguard_state_load(g, NULL, &e), &e, "state_json");
    expect_null_rejected(auraguard_reset(NULL, &e), &e, "guard");
    expect_null_rejected(auraguard_set_event_callback(NULL, NULL, NULL, &e), &e, "guard");
    CHECK(out == SENTINEL_PTR);

    /* NULL args_json means {} and a NULL ticket means the run itself. */
    char *d = decide(g, "get_order", NULL, NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    record(g, "{\"ok\":true}");
    d = decide(g, "get_order", "{}", "");
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    record(g, "{\"ok\":true}");
    d = decide(g, "get_order", "{}", NULL);
    CHECK_DECISION(d, "cache", "identical_toolcall_loop_cache");
    auraguard_string_free(d);

    /* Freeing NULL is a no-op. */
    auraguard_guard_free(NULL);
    auraguard_string_free(NULL);
    auraguard_guard_free(g);
}

static void invalid_utf8_is_rejected(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *out = SENTINEL_PTR;
    char *e = NULL;
    expect_null_rejected(auraguard_check_tool(g, "get\xff", "{}", NULL, -1, &out, &e), &e, "UTF-8");
    expect_null_rejected(auraguard_check_tool(g, "t", "{\"q\":\"\xc3\x28\"}", NULL, -1, &out, &e),
                         &e, "UTF-8");
    expect_null_rejected(auraguard_check_tool(g, "t", "{}", "T-\xfe", -1, &out, &e), &e, "UTF-8");
    expect_null_rejected(auraguard_check_output(g, "sorry \xe2\x82", &out, &e), &e, "UTF-8");
    expect_null_rejected(auraguard_record_result(g, "{\"ok\":true,\"payload\":\"\xff\"}", &e), &e,
                         "UTF-8");
    expect_null_rejected(auraguard_state_load(g, "\xff", &e), &e, "UTF-8");
    CHECK(out == SENTINEL_PTR);
    CHECK(stat(g, "tool_calls_denied") == 0 && stat(g, "pending_calls") == 0);
    auraguard_guard_free(g);
}

static void malformed_json_is_rejected(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *out = SENTINEL_PTR;
    char *e = NULL;
    expect_null_rejected(auraguard_check_tool(g, "t", "{\"order_id\":", NULL, -1, &out, &e), &e,
                         "JSON");
    expect_null_rejected(auraguard_check_tool(g, "t", "[1]", NULL, -1, &out, &e), &e, "object");
    expect_null_rejected(auraguard_check_tool(g, "", "{}", NULL, -1, &out, &e), &e, "tool");
    CHECK(out == SENTINEL_PTR);

    char *d = decide(g, "get_order", "{\"order_id\":\"A\"}", NULL);
    CHECK_DECISION(d, "allow", "allow");
    auraguard_string_free(d);
    expect_null_rejected(auraguard_record_result(g, "{\"ok\":tru", &e), &e, "JSON");
    expect_null_rejected(auraguard_record_result(g, "{}", &e), &e, "ok");
    expect_null_rejected(auraguard_record_result(g, "{\"ok\":1}", &e), &e, "ok");
    expect_null_rejected(auraguard_record_result(g, "{\"ok\":true,\"bogus\":1}", &e), &e, "bogus");
    /* None of those recorded anything: the call still awaits its result. */
    CHECK(stat(g, "pending_calls") == 1 && stat(g, "tool_calls_executed") == 0);
    record(g, "{\"ok\":true,\"payload\":{\"status\":\"shipped\"}}");
    CHECK(stat(g, "pending_calls") == 0 && stat(g, "tool_calls_executed") == 1);
    auraguard_guard_free(g);
}

static void oversized_input_is_rejected(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"max_json_bytes\":1024,"
                                   "\"max_text_bytes\":64}");
    char *out = SENTINEL_PTR;
    char *e = NULL;
    char big_args[2048];
    memset(big_args, 0, sizeof big_args);
    strcpy(big_args, "{\"q\":\"");
    memset(big_args + 6, 'x', 1100);
    strcat(big_args, "\"}");
    expect_null_rejected(auraguard_check_tool(g, "search_kb", big_args, NULL, -1, &out, &e), &e,
                         "limit");
    expect_null_rejected(auraguard_check_output(g, "a message longer than sixty-four bytes, which is the limit set for this guard", &out, &e),
                         &e, "limit");
    CHECK(out == SENTINEL_PTR);
    auraguard_guard_free(g);
}

static void side_effect_flag(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *out = SENTINEL_PTR;
    char *e = NULL;
    expect_null_rejected(auraguard_check_tool(g, "t", "{}", NULL, 2, &out, &e), &e, "side_effect");
    expect_null_rejected(auraguard_check_tool(g, "t", "{}", NULL, -2, &out, &e), &e, "side_effect");
    CHECK(out == SENTINEL_PTR);

    /* 1: an unlisted tool is treated as a side effect (an idempotency key,
     * and one execution per run). */
    char *d = NULL;
    CHECK_STATUS(auraguard_check_tool(g, "ship", "{\"o\":1}", "T-1", 1, &d, NULL), AURAGUARD_OK,
                 NULL);
    CHECK_DECISION(d, "allow", "allow");
    CHECK(d && json_has(d, "idempotency_key"));
    auraguard_string_free(d);
    record(g, "{\"ok\":true}");
    CHECK_STATUS(auraguard_check_tool(g, "ship", "{\"o\":1}", "T-2", 1, &d, NULL), AURAGUARD_OK,
                 NULL);
    CHECK_DECISION(d, "block", "side_effect_limit_exceeded");
    auraguard_string_free(d);

    /* 0: a listed side-effect tool is treated as a read. */
    CHECK_STATUS(auraguard_check_tool(g, "refund", "{\"o\":1}", "T-1", 0, &d, NULL), AURAGUARD_OK,
                 NULL);
    CHECK_DECISION(d, "allow", "allow");
    CHECK(d && !json_has(d, "idempotency_key"));
    auraguard_string_free(d);
    auraguard_guard_free(g);
}

static void record_tokens_prices_and_validates(void) {
    auraguard_guard *g = new_guard(KEY_CONFIG);
    char *e = SENTINEL_PTR;
    /* NaN: priced by the cost model (0.003 + 0.015 per 1k in/out tokens). */
    CHECK_STATUS(auraguard_record_tokens(g, 1000, 1000, NAN, &e), AURAGUARD_OK, e);
    CHECK(e == NULL);
    CHECK(fabs(stat(g, "cost_spent_usd") - 0.018) < 1e-9);
    CHECK(fabs(stat(g, "reported_token_cost_usd") - 0.018) < 1e-9);
    CHECK_STATUS(auraguard_record_tokens(g, 5, 5, 0.5, NULL), AURAGUARD_OK, NULL);
    CHECK(fabs(stat(g, "cost_spent_usd") - 0.518) < 1e-9);

    e = NULL;
    CHECK_STATUS(auraguard_record_tokens(g, 1, 1, -1.0, &e), AURAGUARD_ERR_INVALID_ARGUMENT, e);
    CHECK(e != NULL && strstr(e, "cost_override") != NULL);
    auraguard_string_free(e);
    CHECK_STATUS(auraguard_record_tokens(g, 1, 1, INFINITY, NULL), AURAGUARD_ERR_INVALID_ARGUMENT,
                 NULL);
    CHECK(fabs(stat(g, "cost_spent_usd") - 0.518) < 1e-9);
    auraguard_guard_free(g);
}

void suite_basics(void) {
    RUN(version_matches_header);
    RUN(status_names_are_stable);
    RUN(bad_configurations_are_rejected_with_the_key);
    RUN(shadow_mode_needs_no_secret_key);
    RUN(error_out_conventions);
    RUN(null_arguments_are_rejected);
    RUN(invalid_utf8_is_rejected);
    RUN(malformed_json_is_rejected);
    RUN(oversized_input_is_rejected);
    RUN(side_effect_flag);
    RUN(record_tokens_prices_and_validates);
}

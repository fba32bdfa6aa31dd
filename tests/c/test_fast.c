/* The hot-path API: decisions as a caller-owned struct, results as fields,
 * text as pointer and length. The same decisions as the JSON API; bad input
 * refused by name with the struct untouched and the guard unchanged. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define CONFIG                                                                             \
    "{\"secret_key\":\"test-key\",\"run_id\":\"r-1\",\"repeat_toolcall_threshold\":2,"    \
    "\"side_effect_tools\":[\"refund\"],\"tool_policies\":{\"wipe\":{\"access\":\"deny\"}}}"

#define TXT(s) (const uint8_t *)(s), strlen(s)

static auraguard_status check_fast(auraguard_guard *g, const char *tool, const char *args,
                                   const char *ticket, auraguard_check_result *out, char **err) {
    return auraguard_check_tool_fast(g, (const uint8_t *)tool, tool ? strlen(tool) : 0,
                                     (const uint8_t *)args, args ? strlen(args) : 0,
                                     (const uint8_t *)ticket, ticket ? strlen(ticket) : 0, -1, out,
                                     err);
}

static auraguard_status record_fast(auraguard_guard *g, uint64_t call_id, bool ok, const char *payload,
                                    const char *code, char **err) {
    return auraguard_record_result_fast(g, call_id, ok, (const uint8_t *)payload,
                                        payload ? strlen(payload) : 0, (const uint8_t *)code,
                                        code ? strlen(code) : 0, -1, err);
}

static void an_allowed_read_fills_the_struct_without_details(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_check_result r;
    char *err = SENTINEL_PTR;
    CHECK_STATUS(check_fast(g, "get_order", "{\"order_id\":\"A-1\"}", "T-1", &r, &err), AURAGUARD_OK, err);
    CHECK(err == NULL);
    CHECK(r.action == AURAGUARD_ACTION_ALLOW);
    CHECK(r.reason_len == 5 && strcmp(r.reason, "allow") == 0);
    CHECK(r.flags == AURAGUARD_CHECK_CALL_ID && r.call_id >= 1);
    CHECK(r.details == NULL && r.idempotency_key[0] == '\0' && r.lease_ms == 0);
    CHECK_STATUS(record_fast(g, r.call_id, true, "{\"status\":\"shipped\"}", NULL, &err), AURAGUARD_OK, err);
    CHECK(stat(g, "tool_calls_executed") == 1);
    auraguard_guard_free(g);
}

static void a_side_effect_carries_its_key_and_lease(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_check_result r;
    char *err = NULL;
    CHECK_STATUS(check_fast(g, "refund", "{\"order_id\":\"A-1\"}", "T-1", &r, &err), AURAGUARD_OK, err);
    CHECK(r.action == AURAGUARD_ACTION_ALLOW);
    CHECK(r.flags == (AURAGUARD_CHECK_CALL_ID | AURAGUARD_CHECK_IDEMPOTENCY_KEY | AURAGUARD_CHECK_LEASE));
    CHECK(strlen(r.idempotency_key) == 32 && strspn(r.idempotency_key, "0123456789abcdef") == 32);
    CHECK(r.lease_ms > 0);
    /* The JSON API of an identical guard gives the same key. */
    auraguard_guard *twin = new_guard(CONFIG);
    char *d = decide(twin, "refund", "{\"order_id\":\"A-1\"}", "T-1");
    CHECK(json_str_eq(d, "idempotency_key", r.idempotency_key));
    CHECK(json_num(d, "call_id", 0) == (double)r.call_id);
    auraguard_string_free(d);
    auraguard_guard_free(twin);

    CHECK_STATUS(record_fast(g, r.call_id, true, "{\"refund_id\":\"R-1\"}", NULL, &err), AURAGUARD_OK, err);
    /* The replay: a cache decision whose cached result is read without JSON. */
    CHECK_STATUS(check_fast(g, "refund", "{\"order_id\":\"A-1\"}", "T-1", &r, &err), AURAGUARD_OK, err);
    CHECK(r.action == AURAGUARD_ACTION_CACHE && strcmp(r.reason, "idempotent_replay") == 0);
    CHECK(r.flags == AURAGUARD_CHECK_DETAILS && r.details != NULL);
    auraguard_cached_result c;
    CHECK(auraguard_decision_cached_result(r.details, &c));
    CHECK(c.ok && c.cached && c.side_effect_executed && c.payload_kept && c.error_code == NULL);
    CHECK(c.payload_len == strlen("{\"refund_id\":\"R-1\"}") &&
          memcmp(c.payload_json, "{\"refund_id\":\"R-1\"}", c.payload_len) == 0);
    CHECK(json_str_eq(auraguard_decision_json(r.details), "cached_result.payload.refund_id", "R-1"));
    auraguard_decision_free(r.details);
    auraguard_guard_free(g);
}

static void a_made_up_reason_travels_in_the_details(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_check_result r;
    char *err = NULL;
    CHECK_STATUS(check_fast(g, "wipe", NULL, NULL, &r, &err), AURAGUARD_OK, err);
    CHECK(r.action == AURAGUARD_ACTION_BLOCK);
    CHECK(r.details != NULL && (r.flags & AURAGUARD_CHECK_DETAILS));
    CHECK(strncmp(r.reason, "policy_deny:", 12) == 0 && strlen(r.reason) == r.reason_len);
    CHECK(json_str_eq(auraguard_decision_json(r.details), "reason", r.reason));
    auraguard_cached_result untouched = {0};
    untouched.payload_len = 77;
    CHECK(!auraguard_decision_cached_result(r.details, &untouched) && untouched.payload_len == 77);
    auraguard_decision_free(r.details);
    auraguard_guard_free(g);
}

static void failed_records_change_nothing(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_check_result r;
    char *err = NULL;
    CHECK_STATUS(check_fast(g, "get_order", NULL, NULL, &r, &err), AURAGUARD_OK, err);
    char *before = stats(g);
    struct {
        uint64_t call_id;
        const char *payload;
        size_t payload_len;
        const char *code;
        size_t code_len;
        int32_t executed;
        const char *message;
    } bad[] = {
        {r.call_id + 5, NULL, 0, NULL, 0, -1, "does not await a result"},
        {r.call_id, "{\"a\":", 5, NULL, 0, -1, "payload is not valid JSON"},
        {r.call_id, "\"\xff\"", 3, NULL, 0, -1, "`payload_json` is not valid UTF-8"},
        {r.call_id, NULL, 4, NULL, 0, -1, "`payload_json` is NULL but its length is 4"},
        {r.call_id, NULL, 0, "\xc3", 1, -1, "`error_code` is not valid UTF-8"},
        {r.call_id, NULL, 0, NULL, 0, 7, "`side_effect_executed` must be -1, 0 or 1, got 7"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        CHECK(auraguard_record_result_fast(g, bad[i].call_id, true, (const uint8_t *)bad[i].payload,
                                           bad[i].payload_len, (const uint8_t *)bad[i].code,
                                           bad[i].code_len, bad[i].executed,
                                           &err) == AURAGUARD_ERR_INVALID_ARGUMENT);
        if (!CHECK(err && strstr(err, bad[i].message))) fprintf(stderr, "  got: %s\n", err);
        auraguard_string_free(err);
        char *after = stats(g);
        CHECK(strcmp(before, after) == 0);
        auraguard_string_free(after);
    }
    CHECK(auraguard_record_result_fast(NULL, 1, true, NULL, 0, NULL, 0, -1, NULL) ==
          AURAGUARD_ERR_INVALID_ARGUMENT);
    auraguard_string_free(before);
    /* The payload only (not the result object) is held to max_json_bytes. */
    CHECK_STATUS(record_fast(g, r.call_id, true, "[1,2,3]", "", &err), AURAGUARD_OK, err);
    auraguard_guard_free(g);
}

static void bad_checks_leave_the_struct_and_the_guard_alone(void) {
    auraguard_guard *g = new_guard(CONFIG);
    char *before = stats(g);
    auraguard_check_result r;
    memset(&r, 0xab, sizeof r);
    struct {
        const char *tool;
        size_t tool_len;
        const char *args;
        size_t args_len;
        const char *ticket;
        size_t ticket_len;
        const char *message;
    } bad[] = {
        {NULL, 0, NULL, 0, NULL, 0, "`tool` must not be NULL"},
        {NULL, 3, NULL, 0, NULL, 0, "`tool` is NULL but its length is 3"},
        {"", 0, NULL, 0, NULL, 0, "tool name must not be empty"},
        {"get\xfe", 4, NULL, 0, NULL, 0, "`tool` is not valid UTF-8 (at byte 3)"},
        {"t", 1, NULL, 2, NULL, 0, "`args_json` is NULL but its length is 2"},
        {"t", 1, "{\"a\":1}", 3, NULL, 0, "args is not valid JSON"},
        {"t", 1, "[1]", 3, NULL, 0, "args must be a JSON object"},
        {"t", 1, "{}", 2, "T\x80", 2, "`ticket_id` is not valid UTF-8 (at byte 1)"},
    };
    unsigned char pristine[sizeof r];
    memcpy(pristine, &r, sizeof r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        CHECK(auraguard_check_tool_fast(g, (const uint8_t *)bad[i].tool, bad[i].tool_len,
                                        (const uint8_t *)bad[i].args, bad[i].args_len,
                                        (const uint8_t *)bad[i].ticket, bad[i].ticket_len, -1, &r,
                                        &err) == AURAGUARD_ERR_INVALID_ARGUMENT);
        if (!CHECK(err && strstr(err, bad[i].message))) fprintf(stderr, "  got: %s\n", err);
        auraguard_string_free(err);
        CHECK(memcmp(pristine, &r, sizeof r) == 0);
    }
    char *err = NULL;
    CHECK(auraguard_check_tool_fast(g, TXT("t"), NULL, 0, NULL, 0, 2, &r, &err) ==
          AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(err && strstr(err, "`side_effect` must be -1, 0 or 1, got 2"));
    auraguard_string_free(err);
    CHECK(auraguard_check_tool_fast(g, TXT("t"), NULL, 0, NULL, 0, -1, NULL, NULL) ==
          AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(auraguard_check_tool_fast(NULL, TXT("t"), NULL, 0, NULL, 0, -1, &r, NULL) ==
          AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(pristine, &r, sizeof r) == 0);
    char *after = stats(g);
    CHECK(strcmp(before, after) == 0);
    auraguard_string_free(before);
    auraguard_string_free(after);
    auraguard_guard_free(g);
}

static void messages_are_read_by_length(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_decision *d = (auraguard_decision *)SENTINEL_PTR;
    char *err = NULL;
    /* Only the first 20 bytes count: no NUL needed, none looked for. */
    const char text[] = "Your order shipped. Sorry, sorry, sorry, still checking";
    CHECK_STATUS(auraguard_check_output_fast(g, (const uint8_t *)text, 20, &d, &err), AURAGUARD_OK, err);
    CHECK(d == NULL);
    d = (auraguard_decision *)SENTINEL_PTR;
    CHECK(auraguard_check_output_fast(g, NULL, 3, &d, &err) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(err && strstr(err, "`text` is NULL but its length is 3"));
    auraguard_string_free(err);
    CHECK(d == (auraguard_decision *)SENTINEL_PTR);
    auraguard_guard_free(g);
}

/* Call blocks: five parameters to a check, the error in the block, and a
 * cache hit kept by the block (no handle to free), recognised when it
 * repeats the same stored result. */
static void a_call_block_checks_records_and_keeps_cache_hits(void) {
    auraguard_guard *g = new_guard(CONFIG);
    auraguard_call *call = NULL;
    char *err = NULL;
    CHECK_STATUS(auraguard_call_new(g, &call, &err), AURAGUARD_OK, err);
    CHECK(call != NULL && call->guard == g && call->error == NULL);
    {
        CHECK_STATUS(auraguard_call_check(call, "get_order", "{\"order_id\":\"A-1\"}", "T-1", -1), AURAGUARD_OK,
                     call->error);
        CHECK(call->result.action == AURAGUARD_ACTION_ALLOW && call->result.flags == AURAGUARD_CHECK_CALL_ID);
        CHECK((call->summary & 0xffff) == ((uint64_t)AURAGUARD_CHECK_CALL_ID << 8));
        CHECK(((call->summary >> 16) & 0xffff) != 0 && strcmp(call->result.reason, "allow") == 0);
        CHECK_STATUS(auraguard_call_record(call, call->result.call_id, true, "{\"n\": 1}", NULL, -1), AURAGUARD_OK,
                     call->error);
    }
    uint64_t first = 0;
    const char *payload = NULL;
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(auraguard_call_check(call, "get_order", "{\"order_id\":\"A-1\"}", "T-1", -1), AURAGUARD_OK,
                     call->error);
        CHECK(call->result.action == AURAGUARD_ACTION_CACHE && call->result.flags == AURAGUARD_CHECK_KEPT);
        CHECK(call->result.details == NULL && strcmp(call->result.reason, "identical_toolcall_loop_cache") == 0);
        CHECK(call->cached.payload_len == 7 && memcmp(call->cached.payload_json, "{\"n\":1}", 7) == 0);
        CHECK(call->cached.ok && call->cached.cached && call->cached.payload_kept);
        if (i == 0) {
            first = call->summary;
            payload = call->cached.payload_json;
        }
        CHECK(call->summary == first && call->cached.payload_json == payload);
    }
    /* The usual success through record_ok: three parameters, the same booking. */
    {
        CHECK_STATUS(auraguard_call_check(call, "get_order", "{\"order_id\":\"A-2\"}", "T-1", -1), AURAGUARD_OK,
                     call->error);
        CHECK(call->result.action == AURAGUARD_ACTION_ALLOW);
        CHECK_STATUS(auraguard_call_record_ok(call, call->result.call_id, "[ 2 ]"), AURAGUARD_OK, call->error);
        CHECK_STATUS(auraguard_call_check(call, "get_order", "{\"order_id\":\"A-2\"}", "T-1", -1), AURAGUARD_OK,
                     call->error);
        CHECK(call->result.action == AURAGUARD_ACTION_CACHE && call->result.flags == AURAGUARD_CHECK_KEPT);
        CHECK(call->cached.payload_len == 3 && memcmp(call->cached.payload_json, "[2]", 3) == 0);
        first = call->summary;
        CHECK(auraguard_call_record_ok(call, 424242, NULL) == AURAGUARD_ERR_INVALID_ARGUMENT);
        CHECK(call->error != NULL && call->summary == first);
        auraguard_string_free(call->error);
        CHECK(auraguard_call_record_ok(NULL, 1, NULL) == AURAGUARD_ERR_INVALID_ARGUMENT);
    }
    /* A failure: the message in the block, the summary as it was. */
    CHECK(auraguard_call_check(call, "get_order", "[1]", NULL, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(call->error != NULL && call->summary == first);
    auraguard_string_free(call->error);
    CHECK(auraguard_call_record(call, 424242, true, NULL, NULL, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(call->error != NULL);
    auraguard_string_free(call->error);
    CHECK(auraguard_call_check(NULL, "get_order", NULL, NULL, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(stat(g, "tool_calls_executed") == 2);
    /* The guard may be freed first; the block frees the decision it keeps. */
    auraguard_guard_free(g);
    auraguard_call_free(call);
    auraguard_call_free(NULL);
}

/* The check by length: text without a NUL, read no further than its
 * length; a cache hit kept in the block as by the NUL-terminated check. */
static void a_call_block_checks_text_by_length(void) {
    auraguard_guard *g = new_guard("{\"secret_key\":\"k\",\"repeat_toolcall_threshold\":2}");
    auraguard_call *call = NULL;
    char *err = NULL;
    CHECK_STATUS(auraguard_call_new(g, &call, &err), AURAGUARD_OK, err);
    static const char text[] = "get_order{\"order_id\":\"A-1\"}T-1 and more";
    const uint8_t *tool = (const uint8_t *)text, *args = tool + 9, *ticket = tool + 27;
    CHECK_STATUS(auraguard_call_check_bytes(call, tool, 9, args, 18, ticket, 3, -1), AURAGUARD_OK, call->error);
    CHECK(call->result.action == AURAGUARD_ACTION_ALLOW && call->result.flags == AURAGUARD_CHECK_CALL_ID);
    CHECK_STATUS(auraguard_call_record_ok(call, call->result.call_id, "{\"n\":1}"), AURAGUARD_OK, call->error);
    CHECK_STATUS(auraguard_call_check_bytes(call, tool, 9, args, 18, ticket, 3, -1), AURAGUARD_OK, call->error);
    CHECK(call->result.action == AURAGUARD_ACTION_CACHE && call->result.flags == AURAGUARD_CHECK_KEPT);
    CHECK(call->result.details == NULL && call->cached.payload_len == 7);
    CHECK(memcmp(call->cached.payload_json, "{\"n\":1}", 7) == 0);
    /* The same call through NUL-terminated text is the same stored result. */
    uint64_t kept = call->summary;
    CHECK_STATUS(auraguard_call_check(call, "get_order", "{\"order_id\":\"A-1\"}", "T-1", -1), AURAGUARD_OK,
                 call->error);
    CHECK(call->summary == kept);
    /* A NULL pointer with a length, and text that is not UTF-8: refused,
     * the parameter named, the block's decision as it was. */
    CHECK(auraguard_call_check_bytes(call, NULL, 4, NULL, 0, NULL, 0, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(call->error != NULL && strstr(call->error, "tool") != NULL && call->summary == kept);
    auraguard_string_free(call->error);
    static const uint8_t bad[] = {0xff};
    CHECK(auraguard_call_check_bytes(call, tool, 9, bad, 1, NULL, 0, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(call->error != NULL && call->summary == kept);
    auraguard_string_free(call->error);
    CHECK(auraguard_call_check_bytes(NULL, tool, 9, NULL, 0, NULL, 0, -1) == AURAGUARD_ERR_INVALID_ARGUMENT);
    CHECK(stat(g, "tool_calls_executed") == 1);
    auraguard_call_free(call);
    auraguard_guard_free(g);
}

void suite_fast(void) {
    RUN(an_allowed_read_fills_the_struct_without_details);
    RUN(a_side_effect_carries_its_key_and_lease);
    RUN(a_made_up_reason_travels_in_the_details);
    RUN(failed_records_change_nothing);
    RUN(bad_checks_leave_the_struct_and_the_guard_alone);
    RUN(messages_are_read_by_length);
    RUN(a_call_block_checks_records_and_keeps_cache_hits);
    RUN(a_call_block_checks_text_by_length);
}

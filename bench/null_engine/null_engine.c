/*
 * A libauraguard that decides nothing, for timing a binding without the
 * engine, whose cost and noise would otherwise swamp it. Each binding's
 * workloads run against it: make bench-go-overhead, bench-csharp-overhead,
 * bench-ruby-overhead (the library is build/bench/null-engine/, see
 * mk/bench.mk).
 *
 * Answers: every check is an allow with a new call id, except the cached
 * workload's read ({"order_id":"A-1"}), a cache hit from its third time on;
 * every record succeeds; no message needs anything done. The functions
 * workloads.rb never calls exist (the binding attaches every one) and fail.
 */
#include <stdlib.h>
#include <string.h>

#include "auraguard.h"

struct auraguard_guard {
  uint64_t next_call_id;
  int repeats;
};

/* A details handle needs an address; it holds nothing. */
struct auraguard_decision {
  int unused;
};

static struct auraguard_decision cache_details;
static const char ALLOW[] = "allow";
static const char CACHE[] = "identical_toolcall_loop_cache";
static const char REPEATED[] = "{\"order_id\":\"A-1\"}";
static const char PAYLOAD[] = "{\"n\":1}";
static const char CACHE_JSON[] =
    "{\"action\":\"cache\",\"reason\":\"identical_toolcall_loop_cache\",\"cached_result\":{\"ok\":true,"
    "\"payload\":{\"n\":1},\"error_code\":null,\"cached\":true,\"side_effect_executed\":false}}";

auraguard_status auraguard_guard_new(const char *config_json, auraguard_guard **guard_out, char **error_out) {
  (void)config_json;
  (void)error_out;
  *guard_out = calloc(1, sizeof(auraguard_guard));
  return *guard_out ? AURAGUARD_OK : AURAGUARD_ERR_INTERNAL;
}

void auraguard_guard_free(auraguard_guard *guard) { free(guard); }

auraguard_status auraguard_check_tool_fast(auraguard_guard *guard, const uint8_t *tool, size_t tool_len,
                                           const uint8_t *args_json, size_t args_len, const uint8_t *ticket_id,
                                           size_t ticket_len, int32_t side_effect, auraguard_check_result *out,
                                           char **error_out) {
  (void)tool, (void)tool_len, (void)ticket_id, (void)ticket_len, (void)side_effect, (void)error_out;
  memset(out, 0, sizeof *out);
  if (args_len == sizeof REPEATED - 1 && memcmp(args_json, REPEATED, args_len) == 0 && ++guard->repeats > 2) {
    out->action = AURAGUARD_ACTION_CACHE;
    out->flags = AURAGUARD_CHECK_DETAILS;
    out->reason = CACHE;
    out->reason_len = sizeof CACHE - 1;
    out->details = &cache_details;
    return AURAGUARD_OK;
  }
  out->action = AURAGUARD_ACTION_ALLOW;
  out->flags = AURAGUARD_CHECK_CALL_ID;
  out->call_id = ++guard->next_call_id;
  out->reason = ALLOW;
  out->reason_len = sizeof ALLOW - 1;
  return AURAGUARD_OK;
}

/* The call-block functions (src/ffi/call.rs): the same answers. The
 * reasons' numbers are the library's ("allow" 1, the cache's 2). */
auraguard_status auraguard_call_new(auraguard_guard *guard, auraguard_call **call_out, char **error_out) {
  (void)error_out;
  *call_out = calloc(1, sizeof(auraguard_call));
  if (!*call_out) return AURAGUARD_ERR_INTERNAL;
  (*call_out)->guard = guard;
  return AURAGUARD_OK;
}

void auraguard_call_free(auraguard_call *call) { free(call); }

auraguard_status auraguard_call_check(auraguard_call *call, const char *tool, const char *args_json,
                                      const char *ticket_id, int32_t side_effect) {
  return auraguard_call_check_bytes(call, (const uint8_t *)tool, strlen(tool), (const uint8_t *)args_json,
                                    args_json ? strlen(args_json) : 0, (const uint8_t *)ticket_id,
                                    ticket_id ? strlen(ticket_id) : 0, side_effect);
}

/* auraguard_call_check with pointer and length, as Go and C# pass their text. */
auraguard_status auraguard_call_check_bytes(auraguard_call *call, const uint8_t *tool, size_t tool_len,
                                            const uint8_t *args_json, size_t args_len, const uint8_t *ticket_id,
                                            size_t ticket_len, int32_t side_effect) {
  (void)tool, (void)tool_len, (void)ticket_id, (void)ticket_len;
  auraguard_check_result *out = &call->result;
  auraguard_status status = auraguard_check_tool_fast(call->guard, (const uint8_t *)"", 0, args_json, args_len, NULL,
                                                      0, side_effect, out, &call->error);
  if (out->action == AURAGUARD_ACTION_CACHE) {
    out->flags = AURAGUARD_CHECK_KEPT;
    out->details = NULL;
    auraguard_decision_cached_result(&cache_details, &call->cached);
    call->kept_count = 1;
  }
  call->summary = (uint64_t)out->action | (uint64_t)out->flags << 8 |
                  (uint64_t)(out->action == AURAGUARD_ACTION_CACHE ? 2 : 1) << 16 | call->kept_count << 32;
  return status;
}

auraguard_status auraguard_call_record_ok(auraguard_call *call, uint64_t call_id, const char *payload_json) {
  (void)call, (void)call_id, (void)payload_json;
  return AURAGUARD_OK;
}

auraguard_status auraguard_call_record(auraguard_call *call, uint64_t call_id, bool ok, const char *payload_json,
                                       const char *error_code, int32_t side_effect_executed) {
  (void)call, (void)call_id, (void)ok, (void)payload_json, (void)error_code, (void)side_effect_executed;
  return AURAGUARD_OK;
}

auraguard_status auraguard_record_result_fast(auraguard_guard *guard, uint64_t call_id, bool ok,
                                              const uint8_t *payload_json, size_t payload_len,
                                              const uint8_t *error_code, size_t error_code_len,
                                              int32_t side_effect_executed, char **error_out) {
  (void)guard, (void)call_id, (void)ok, (void)payload_json, (void)payload_len;
  (void)error_code, (void)error_code_len, (void)side_effect_executed, (void)error_out;
  return AURAGUARD_OK;
}

auraguard_status auraguard_check_output_fast(auraguard_guard *guard, const uint8_t *text, size_t text_len,
                                             auraguard_decision **decision_out, char **error_out) {
  (void)guard, (void)text, (void)text_len, (void)error_out;
  *decision_out = NULL;
  return AURAGUARD_OK;
}

const char *auraguard_decision_json(const auraguard_decision *decision) {
  (void)decision;
  return CACHE_JSON;
}

/* The one details handle there is, the cache hit's. */
auraguard_action auraguard_decision_action(const auraguard_decision *decision) {
  (void)decision;
  return AURAGUARD_ACTION_CACHE;
}

const char *auraguard_decision_reason(const auraguard_decision *decision) {
  (void)decision;
  return CACHE;
}

bool auraguard_decision_call_id(const auraguard_decision *decision, uint64_t *call_id_out) {
  (void)decision, (void)call_id_out;
  return false;
}

const char *auraguard_decision_idempotency_key(const auraguard_decision *decision) {
  (void)decision;
  return NULL;
}

bool auraguard_decision_cached_result(const auraguard_decision *decision, auraguard_cached_result *out) {
  (void)decision;
  out->payload_json = PAYLOAD;
  out->payload_len = sizeof PAYLOAD - 1;
  out->error_code = NULL;
  out->error_code_len = 0;
  out->ok = true;
  out->cached = true;
  out->side_effect_executed = false;
  out->payload_kept = true;
  return true;
}

void auraguard_decision_free(auraguard_decision *decision) { (void)decision; }

void auraguard_string_free(char *s) { (void)s; }

const char *auraguard_version(void) { return AURAGUARD_VERSION; }

/* The Go workloads reset their guard every batch of operations; there is no
 * state to reset. */
auraguard_status auraguard_reset(auraguard_guard *guard, char **error_out) {
  (void)guard, (void)error_out;
  return AURAGUARD_OK;
}

const char *auraguard_status_name(auraguard_status status) {
  (void)status;
  return "AURAGUARD_ERR_INTERNAL";
}

/* Not on the workloads' path: they fail, whatever their arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define FAILS(name, ...) \
  auraguard_status name(__VA_ARGS__) { return AURAGUARD_ERR_INTERNAL; }
FAILS(auraguard_check_tool, auraguard_guard *g, const char *t, const char *a, const char *k, int32_t s, char **o,
      char **e)
FAILS(auraguard_check_tool_decision, auraguard_guard *g, const char *t, const char *a, const char *k, int32_t s,
      auraguard_decision **o, char **e)
FAILS(auraguard_check_output_decision, auraguard_guard *g, const char *t, auraguard_decision **o, char **e)
FAILS(auraguard_record_result, auraguard_guard *g, const char *r, char **e)
FAILS(auraguard_check_output, auraguard_guard *g, const char *t, char **o, char **e)
FAILS(auraguard_record_tokens, auraguard_guard *g, uint64_t i, uint64_t o, double c, char **e)
FAILS(auraguard_stats_json, auraguard_guard *g, char **o, char **e)
FAILS(auraguard_report_json, auraguard_guard *g, char **o, char **e)
FAILS(auraguard_report_text, auraguard_guard *g, char **o, char **e)
FAILS(auraguard_state_save, auraguard_guard *g, char **o, char **e)
FAILS(auraguard_state_load, auraguard_guard *g, const char *s, char **e)
FAILS(auraguard_set_event_callback, auraguard_guard *g, auraguard_event_fn f, void *u, char **e)
FAILS(auraguard_ledger_resolve, auraguard_guard *g, const char *k, auraguard_ledger_outcome o, char **e)

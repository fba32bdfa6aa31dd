/*
 * Answering every tool call of a provider response, in C: the calls are read
 * out of an OpenAI Chat Completions response with a JSON library (jansson
 * here), each is put to the guard, the allowed ones run, and every call gets a
 * {"role": "tool", "tool_call_id", "content"} message, including those the
 * guard did not let run: a provider rejects a conversation in which a tool
 * call has no result.
 *
 * The model below asks for the same refund twice in one response and sends
 * one call with broken arguments; the refund must run once.
 */
#include <auraguard.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body the API returned (a shortened chat.completion). */
static const char *response =
    "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\","
    "\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
    "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"refund\","
    "\"arguments\":\"{\\\"order_id\\\":\\\"A1\\\",\\\"amount\\\":30}\"}},"
    "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"refund\","
    "\"arguments\":\"{\\\"order_id\\\":\\\"A1\\\",\\\"amount\\\":30}\"}},"
    "{\"id\":\"call_3\",\"type\":\"function\",\"function\":{\"name\":\"get_order\","
    "\"arguments\":\"{\\\"order_id\\\":\"}}]}}]}";

static int refunds_sent = 0;

/* A formatted string the caller frees. */
static char *text(const char *format, ...) {
    va_list args;
    va_start(args, format);
    int size = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *out = malloc((size_t)size + 1);
    va_start(args, format);
    vsnprintf(out, (size_t)size + 1, format, args);
    va_end(args);
    return out;
}

/* Stand-in for the real tools: the payload as JSON text. */
static const char *run_tool(const char *name) {
    if (strcmp(name, "refund") == 0) {
        refunds_sent++;
        return "{\"refund_id\":\"R-1\"}";
    }
    return "{\"status\":\"shipped\"}";
}

/* The result of one call: the tool's output, or what the model must be told about a call that did not run. */
static char *answer(auraguard_guard *guard, const char *name, const char *args, int *ends_run) {
    json_t *parsed = json_loads(args, JSON_DECODE_ANY, NULL);
    int usable = json_is_object(parsed);
    json_decref(parsed);
    if (!usable) /* the model's mistake: an error result for this call, nothing runs */
        return text("Not executed: the arguments are not a JSON object. Call %s again with valid JSON.", name);
    if (*ends_run) return text("Not executed: the run was stopped by an earlier call.");
    auraguard_decision *d = NULL;
    char *error = NULL;
    if (auraguard_check_tool_decision(guard, name, args, "T-1", -1, &d, &error) != AURAGUARD_OK) {
        char *out = text("Not executed: %s", error); /* refused arguments change nothing */
        auraguard_string_free(error);
        return out;
    }
    json_t *decision = json_loads(auraguard_decision_json(d), 0, NULL);
    json_t *cached = json_object_get(decision, "cached_result");
    const char *reason = auraguard_decision_reason(d);
    char *out = NULL;
    uint64_t call_id = 0;
    switch (auraguard_decision_action(d)) {
    case AURAGUARD_ACTION_ALLOW: { /* run it, record its result under the call's id */
        const char *payload = run_tool(name);
        auraguard_decision_call_id(d, &call_id);
        char *result = text("{\"ok\":true,\"payload\":%s,\"call_id\":%" PRIu64 "}", payload, call_id);
        if (auraguard_record_result(guard, result, &error) != AURAGUARD_OK) auraguard_string_free(error);
        free(result);
        out = text("%s", payload);
        break;
    }
    case AURAGUARD_ACTION_CACHE: /* the earlier result: a string as it is, anything else as JSON */
        if (json_is_true(json_object_get(cached, "ok"))) {
            json_t *payload = json_object_get(cached, "payload");
            out = json_is_string(payload) ? text("%s", json_string_value(payload)) : json_dumps(payload, JSON_COMPACT);
        } else {
            out = text("Not executed: this exact call already failed. Do not retry it.");
        }
        break;
    case AURAGUARD_ACTION_REWRITE: /* the guard's instruction says what to do instead */
        out = text("Not executed (%s). %s", reason, json_string_value(json_object_get(decision, "injected_system")));
        break;
    case AURAGUARD_ACTION_ESCALATE: /* the host hands the run to a person once the results are sent */
    case AURAGUARD_ACTION_FINALIZE:
        *ends_run = 1;
        out = text("Not executed: this call ends the run (%s). Stop calling tools.", reason);
        break;
    default:
        out = text("Not executed: the guard blocked this call (%s). Do not repeat it.", reason);
        break;
    }
    json_decref(decision);
    auraguard_decision_free(d);
    return out;
}

int main(void) {
    auraguard_guard *guard = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"change-me\"}", &guard, NULL) != AURAGUARD_OK) return 1;
    json_t *body = json_loads(response, 0, NULL);
    json_t *calls = json_object_get(json_object_get(json_array_get(json_object_get(body, "choices"), 0), "message"),
                                    "tool_calls");
    json_t *messages = json_array();
    int ends_run = 0;
    size_t i;
    json_t *call;
    json_array_foreach(calls, i, call) {
        json_t *function = json_object_get(call, "function");
        char *content = answer(guard, json_string_value(json_object_get(function, "name")),
                               json_string_value(json_object_get(function, "arguments")), &ends_run);
        json_array_append_new(messages, json_pack("{s:s, s:s, s:s}", "role", "tool", "tool_call_id",
                                                  json_string_value(json_object_get(call, "id")), "content", content));
        free(content);
    }
    char *out = json_dumps(messages, JSON_INDENT(2));
    printf("%s\n", out); /* append these to the conversation; call the model again unless ends_run */
    size_t answered = json_array_size(messages), asked = json_array_size(calls);
    free(out);
    json_decref(messages);
    json_decref(body);
    auraguard_guard_free(guard);
    if (answered != asked || refunds_sent != 1) {
        fprintf(stderr, "expected every call answered and one refund: %zu of %zu answered, %d refunds\n", answered,
                asked, refunds_sent);
        return 1;
    }
    return 0;
}

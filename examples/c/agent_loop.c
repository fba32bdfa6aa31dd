/*
 * An agent loop guarded by libauraguard: before each tool call the guard
 * decides, and the loop handles every action it can answer with.
 *
 * The "model" here is a fixed script of the tool calls a support agent
 * might ask for, including mistakes the guard exists to stop: the same
 * refund twice, and the same search reworded again and again. After the
 * tools, the model stalls and the guard asks it to finalize or escalate.
 */
#include <auraguard.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *tool;
    const char *args_json;
} tool_call;

static const tool_call script[] = {
    {"get_order", "{\"order_id\":\"A-100\"}"},
    {"refund", "{\"order_id\":\"A-100\",\"amount\":25}"},
    {"refund", "{\"order_id\":\"A-100\",\"amount\":25}"}, /* the model forgot it already refunded */
    {"search_kb", "{\"query\":\"refund policy\"}"},
    {"search_kb", "{\"query\":\"refund policy EU\"}"},
    {"search_kb", "{\"query\":\"refund policy EU Germany\"}"},
    {"search_kb", "{\"query\":\"refund policy Germany 2024\"}"},
    {"search_kb", "{\"query\":\"refund policy Germany 2025\"}"},
};

/* Stand-in for the real tools: the result JSON, without the call id. */
static const char *execute(const tool_call *call) {
    if (strcmp(call->tool, "refund") == 0)
        return "\"ok\":true,\"payload\":{\"refund_id\":\"R-1\"}";
    if (strcmp(call->tool, "search_kb") == 0)
        return "\"ok\":true,\"payload\":[\"Refunds are accepted within 30 days.\"]";
    return "\"ok\":true,\"payload\":{\"status\":\"delivered\"}";
}

/* Report an allowed call's result under its call id. */
static void record(auraguard_guard *guard, uint64_t call_id, const char *result) {
    char json[256];
    char *error = NULL;
    snprintf(json, sizeof json, "{%s,\"call_id\":%" PRIu64 "}", result, call_id);
    if (auraguard_record_result(guard, json, &error) != AURAGUARD_OK) {
        fprintf(stderr, "record_result failed: %s\n", error);
        auraguard_string_free(error);
    }
}

/* One tool call through the guard. Returns 0 when the run must stop. */
static int guarded_call(auraguard_guard *guard, const tool_call *call) {
    auraguard_decision *d = NULL;
    char *error = NULL;
    if (auraguard_check_tool_decision(guard, call->tool, call->args_json, "T-1", -1, &d, &error) !=
        AURAGUARD_OK) {
        fprintf(stderr, "check_tool failed: %s\n", error);
        auraguard_string_free(error);
        return 0;
    }
    int keep_going = 1;
    uint64_t call_id = 0;
    switch (auraguard_decision_action(d)) {
    case AURAGUARD_ACTION_ALLOW:
        /* Run the tool (a side effect gets the idempotency key for its API),
         * then report its result under the call's id. */
        auraguard_decision_call_id(d, &call_id);
        record(guard, call_id, execute(call));
        printf("%-10s executed%s%s\n", call->tool, auraguard_decision_idempotency_key(d) ? ", key " : "",
               auraguard_decision_idempotency_key(d) ? auraguard_decision_idempotency_key(d) : "");
        break;
    case AURAGUARD_ACTION_CACHE:
        /* Give the model cached_result (in the JSON) instead of calling the tool. */
        printf("%-10s answered from cache: %s\n", call->tool, auraguard_decision_json(d));
        break;
    case AURAGUARD_ACTION_BLOCK:
        /* Tell the model the call was refused and why. */
        printf("%-10s blocked: %s\n", call->tool, auraguard_decision_reason(d));
        break;
    case AURAGUARD_ACTION_REWRITE:
        /* Add injected_system (in the JSON) to the model's next prompt. */
        printf("%-10s rewritten: %s\n", call->tool, auraguard_decision_reason(d));
        break;
    default:
        /* escalate (hand escalation_packet to a person) or finalize (send
         * finalized_output.reply_draft): the run ends. */
        printf("%-10s run ends: %s\n", call->tool, auraguard_decision_json(d));
        keep_going = 0;
    }
    auraguard_decision_free(d);
    return keep_going;
}

/* One assistant message through the guard. Returns 0 when the run must stop. */
static int guarded_message(auraguard_guard *guard, const char *text) {
    auraguard_decision *d = NULL;
    if (auraguard_check_output_decision(guard, text, &d, NULL) != AURAGUARD_OK) return 0;
    if (d == NULL) {
        printf("assistant  message sent\n");
        return 1;
    }
    printf("assistant  %s\n", auraguard_decision_json(d));
    int keep_going = auraguard_decision_action(d) == AURAGUARD_ACTION_REWRITE;
    auraguard_decision_free(d);
    return keep_going;
}

int main(void) {
    auraguard_guard *guard = NULL;
    char *error = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"example-key\",\"max_cost_per_run\":1.0}", &guard,
                            &error) != AURAGUARD_OK) {
        fprintf(stderr, "configuration rejected: %s\n", error);
        auraguard_string_free(error);
        return 1;
    }

    int running = 1;
    for (size_t i = 0; running && i < sizeof script / sizeof script[0]; i++)
        running = guarded_call(guard, &script[i]);

    /* The model stalls; after the stall is noticed it must answer in the
     * JSON form the rewrite asked for. */
    const char *messages[] = {
        "I'm sorry for the delay, I'm still checking.",
        "I'm sorry for the delay, I'm still checking.",
        "I'm sorry for the delay, I'm still checking.",
        "{\"action\":\"escalate\",\"reason\":\"customer wants a manager\"}",
    };
    for (size_t i = 0; running && i < sizeof messages / sizeof messages[0]; i++)
        running = guarded_message(guard, messages[i]);

    char *report = NULL;
    if (auraguard_report_text(guard, &report, NULL) == AURAGUARD_OK) {
        printf("\n%s", report);
        auraguard_string_free(report);
    }
    auraguard_guard_free(guard);
    return 0;
}

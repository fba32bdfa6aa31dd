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

/* Whether a decision has this action. The engine writes compact JSON, so
 * the exact text `"action":"allow"` is what to look for. */
static int is_action(const char *decision, const char *action) {
    char needle[48];
    snprintf(needle, sizeof needle, "\"action\":\"%s\"", action);
    return strstr(decision, needle) != NULL;
}

/* Stand-in for the real tools. */
static const char *execute(const tool_call *call) {
    if (strcmp(call->tool, "refund") == 0)
        return "{\"ok\":true,\"payload\":{\"refund_id\":\"R-1\"}}";
    if (strcmp(call->tool, "search_kb") == 0)
        return "{\"ok\":true,\"payload\":[\"Refunds are accepted within 30 days.\"]}";
    return "{\"ok\":true,\"payload\":{\"status\":\"delivered\"}}";
}

/* One tool call through the guard. Returns 0 when the run must stop. */
static int guarded_call(auraguard_guard *guard, const tool_call *call) {
    char *decision = NULL;
    char *error = NULL;
    if (auraguard_check_tool(guard, call->tool, call->args_json, "T-1", -1, &decision, &error) !=
        AURAGUARD_OK) {
        fprintf(stderr, "check_tool failed: %s\n", error);
        auraguard_string_free(error);
        return 0;
    }
    int keep_going = 1;
    if (is_action(decision, "allow")) {
        /* Run the tool, then report its result (the most recent allowed call). */
        if (auraguard_record_result(guard, execute(call), &error) != AURAGUARD_OK) {
            fprintf(stderr, "record_result failed: %s\n", error);
            auraguard_string_free(error);
        }
        printf("%-10s executed\n", call->tool);
    } else if (is_action(decision, "cache")) {
        /* Give the model decision.cached_result instead of calling the tool. */
        printf("%-10s answered from cache: %s\n", call->tool, decision);
    } else if (is_action(decision, "block")) {
        /* Tell the model the call was refused and why (decision.reason). */
        printf("%-10s blocked: %s\n", call->tool, decision);
    } else if (is_action(decision, "rewrite")) {
        /* Add decision.injected_system to the model's next prompt. */
        printf("%-10s rewritten: %s\n", call->tool, decision);
    } else {
        /* escalate (hand decision.escalation_packet to a person) or
         * finalize (send decision.finalized_output.reply_draft): the run ends. */
        printf("%-10s run ends: %s\n", call->tool, decision);
        keep_going = 0;
    }
    auraguard_string_free(decision);
    return keep_going;
}

/* One assistant message through the guard. Returns 0 when the run must stop. */
static int guarded_message(auraguard_guard *guard, const char *text) {
    char *decision = NULL;
    if (auraguard_check_output(guard, text, &decision, NULL) != AURAGUARD_OK) return 0;
    if (decision == NULL) {
        printf("assistant  message sent\n");
        return 1;
    }
    printf("assistant  %s\n", decision);
    int keep_going = is_action(decision, "rewrite");
    auraguard_string_free(decision);
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

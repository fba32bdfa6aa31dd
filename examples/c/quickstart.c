#include <auraguard.h>
#include <inttypes.h>
#include <stdio.h>

int main(void) {
    auraguard_guard *guard = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"my-key\"}", &guard, NULL) != AURAGUARD_OK) return 1;
    const char *args = "{\"order_id\":\"A-1\"}";
    for (int turn = 0; turn < 4; turn++) { /* the model asks for the same lookup four times */
        auraguard_decision *d = NULL;
        if (auraguard_check_tool_decision(guard, "get_order", args, "T-1", -1, &d, NULL)) break;
        uint64_t call_id = 0;
        if (auraguard_decision_action(d) == AURAGUARD_ACTION_ALLOW && auraguard_decision_call_id(d, &call_id)) {
            char result[96]; /* run the tool, then report its result under the call's id */
            snprintf(result, sizeof result, "{\"ok\":true,\"payload\":\"shipped\",\"call_id\":%" PRIu64 "}", call_id);
            auraguard_record_result(guard, result, NULL);
        } else { /* cache, block, rewrite, escalate or finalize: skip the tool, tell the model */
            printf("guard: %s\n", auraguard_decision_json(d));
        }
        auraguard_decision_free(d);
    }
    auraguard_guard_free(guard);
    return 0;
}

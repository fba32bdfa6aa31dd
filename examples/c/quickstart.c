#include <auraguard.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    auraguard_guard *guard = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"my-key\"}", &guard, NULL) != AURAGUARD_OK) return 1;
    const char *args = "{\"order_id\":\"A-1\"}";
    for (int turn = 0; turn < 4; turn++) { /* the model asks for the same lookup four times */
        char *decision = NULL;
        if (auraguard_check_tool(guard, "get_order", args, "T-1", -1, &decision, NULL)) break;
        if (strstr(decision, "\"action\":\"allow\"")) /* run the tool, then report its result */
            auraguard_record_result(guard, "{\"ok\":true,\"payload\":\"shipped\"}", NULL);
        else /* cache, block, rewrite, escalate or finalize: skip the tool, tell the model */
            printf("guard: %s\n", decision);
        auraguard_string_free(decision);
    }
    auraguard_guard_free(guard);
    return 0;
}

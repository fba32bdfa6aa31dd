/* Built against an installed libauraguard through pkg-config: the header
 * and the library found there agree on the version, and a guard works. */
#include <auraguard.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    if (strcmp(auraguard_version(), AURAGUARD_VERSION) != 0) {
        fprintf(stderr, "installed library %s, header %s\n", auraguard_version(), AURAGUARD_VERSION);
        return 1;
    }
    auraguard_guard *g = NULL;
    char *decision = NULL;
    if (auraguard_guard_new("{\"secret_key\":\"k\"}", &g, NULL) != AURAGUARD_OK ||
        auraguard_check_tool(g, "get_order", "{\"order_id\":\"1\"}", NULL, -1, &decision, NULL) !=
            AURAGUARD_OK) {
        fprintf(stderr, "installed library: a call failed\n");
        return 1;
    }
    int allowed = strstr(decision, "\"action\":\"allow\"") != NULL;
    auraguard_string_free(decision);
    auraguard_guard_free(g);
    printf("installed libauraguard %s works: %s\n", auraguard_version(), allowed ? "yes" : "no");
    return allowed ? 0 : 1;
}

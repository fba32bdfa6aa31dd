// The header from C++: included twice (the include guard holds), every
// declaration links with C linkage, and it compiles without warnings under
// -Wall -Wextra -Werror -pedantic.
#include "auraguard.h"
#include "auraguard.h"

#include <cstring>

int main() {
    // A call through the C linkage, and the enum usable as a C++ type.
    const char *name = auraguard_status_name(AURAGUARD_ERR_CONFIG);
    auraguard_status ok = AURAGUARD_OK;
    auraguard_guard *guard = nullptr;
    char *error = nullptr;
    if (auraguard_guard_new("{\"secret_key\":\"k\"}", &guard, &error) != ok) return 1;
    auraguard_guard_free(guard);
    return std::strcmp(name, "AURAGUARD_ERR_CONFIG") == 0 &&
                   std::strcmp(auraguard_version(), AURAGUARD_VERSION) == 0
               ? 0
               : 1;
}

/*
 * The one function the Go workloads call that the do-nothing library of the
 * C# benchmark (bindings/csharp/bench/null_engine.c) lacks: the distinct and
 * jittery workloads reset their guard every 20,000 operations. Compiled with
 * it into the library that make bench-go-overhead loads in place of the
 * real one; there is no state to reset.
 */
#include "auraguard.h"

auraguard_status auraguard_reset(auraguard_guard *guard, char **error_out) {
  (void)guard;
  (void)error_out;
  return AURAGUARD_OK;
}

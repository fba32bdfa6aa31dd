package auraguard

/*
#include <auraguard.h>
*/
import "C"

// Version is the version of the native library this package was written
// for; NativeVersion reports the one actually linked.
const Version = "0.1.0"

// NativeVersion returns the version of the linked native library.
func NativeVersion() string {
	return C.GoString(C.auraguard_version())
}

package auraguard

// Every #cgo directive of the package lives here.
//
// By default the package links the library built in this repository by
// `make build` (target/release), with an rpath so that `go test` and `go run`
// find it without LD_LIBRARY_PATH. With the build tag auraguard_pkgconfig it
// links an installed library found through pkg-config instead.

/*
#cgo !auraguard_pkgconfig CFLAGS: -I${SRCDIR}/../../include
#cgo !auraguard_pkgconfig LDFLAGS: -L${SRCDIR}/../../target/release -lauraguard -Wl,-rpath,${SRCDIR}/../../target/release
#cgo auraguard_pkgconfig pkg-config: auraguard
#include <auraguard.h>
*/
import "C"

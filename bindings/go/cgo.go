package auraguard

// Every #cgo directive of the package lives here. Three ways to link:
//
//   - A released module (`go get`): the module carries the prebuilt static
//     library under build/<os>-<arch>/ and the header under build/include/
//     (written by `make dist`, kept out of the repository's history). The
//     archive is linked into the program, so the binary needs no
//     libauraguard.so at run time.
//   - This repository: build/ holds no library, so the linker goes on to
//     target/release, written by `make build`, and links libauraguard.so
//     with an rpath so that `go test` and `go run` find it without
//     LD_LIBRARY_PATH. The release drops the two lines that name
//     ${SRCDIR}/../.., so that no user's binary records a path into the
//     module cache.
//   - With the build tag auraguard_pkgconfig: an installed library found
//     through pkg-config.
//
// The order of the flags is the order of the routes: the compiler and the
// linker take the first folder that holds the header or a libauraguard, so a
// vendored copy wins. build/hint/auraguard.h, searched last, stops the build
// with an explanation when no real header was found. A platform with no
// folder under build/ fails to link with "cannot find -lauraguard": build
// the library and use the auraguard_pkgconfig tag (README.md, "Linking").

/*
#cgo !auraguard_pkgconfig CFLAGS: -I${SRCDIR}/build/include
#cgo !auraguard_pkgconfig CFLAGS: -I${SRCDIR}/../../include
#cgo !auraguard_pkgconfig CFLAGS: -I${SRCDIR}/build/hint
#cgo !auraguard_pkgconfig,linux,amd64 LDFLAGS: -L${SRCDIR}/build/linux-x86_64
#cgo !auraguard_pkgconfig LDFLAGS: -L${SRCDIR}/../../target/release -Wl,-rpath,${SRCDIR}/../../target/release
#cgo !auraguard_pkgconfig LDFLAGS: -lauraguard -lm -ldl -lpthread
#cgo auraguard_pkgconfig pkg-config: auraguard
#include <auraguard.h>
*/
import "C"

/* Found only when no real auraguard.h is on the include path (see cgo.go). */
#error "auraguard.h not found: this copy of the Go module carries no prebuilt libauraguard. A released module has build/include/auraguard.h and build/<os>-<arch>/libauraguard.a; a source checkout needs `make build` at its top; for an installed library, build with -tags auraguard_pkgconfig."

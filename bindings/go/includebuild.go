//go:build includebuild

package auraguard

// `go mod vendor` copies only the packages a build imports. These imports,
// behind a tag no build sets, make it copy the folders that hold the
// prebuilt library and the headers, which cgo.go names from ${SRCDIR}.
import (
	_ "github.com/auraguard/libauraguard/bindings/go/build/hint"
	_ "github.com/auraguard/libauraguard/bindings/go/build/include"
	_ "github.com/auraguard/libauraguard/bindings/go/build/linux-x86_64"
)

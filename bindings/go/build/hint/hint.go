// Package hint holds the auraguard.h that explains a missing header (see
// ../../cgo.go). It is a Go package only so that `go mod vendor` keeps the
// folder.
package hint

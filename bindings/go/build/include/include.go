// Package include holds auraguard.h in a released module (see ../../cgo.go).
// It is a Go package only so that `go mod vendor` keeps the folder.
package include

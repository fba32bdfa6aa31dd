// Package linux_x86_64 holds the prebuilt static libauraguard.a for
// linux/amd64 in a released module (see ../../cgo.go). It is a Go package
// only so that `go mod vendor` keeps the folder.
package linux_x86_64

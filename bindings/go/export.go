package auraguard

/*
#include <stdint.h>
#include <string.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// auraguardGoEvent is the Go end of the native event callback (see
// listen.go); sink is the cgo.Handle of the guard's eventSink.
//
//export auraguardGoEvent
func auraguardGoEvent(eventJSON *C.char, sink C.uintptr_t) {
	raw := C.GoBytes(unsafe.Pointer(eventJSON), C.int(C.strlen(eventJSON)))
	cgo.Handle(sink).Value().(*eventSink).deliver(raw)
}

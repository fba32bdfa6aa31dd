package auraguard

/*
#include <string.h>
#include <auraguard.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Status is the native library's result code. The values never change.
type Status int

// The statuses the native library returns.
const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1
	StatusConfig          Status = 2
	StatusMisuse          Status = 3
	StatusState           Status = 4
	StatusInternal        Status = 5
)

// String returns the native name of the status, e.g. "AURAGUARD_ERR_CONFIG".
func (s Status) String() string {
	return C.GoString(C.auraguard_status_name(C.auraguard_status(s)))
}

// Sentinel errors to match with errors.Is. Every *Error returned by a Guard
// matches exactly one of the first five, by its Status.
var (
	// ErrInvalidArgument: malformed JSON, an oversized input, an unknown
	// call id, an out-of-range value.
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument, Message: "invalid argument"}
	// ErrConfig: the configuration was rejected; the message names the key.
	ErrConfig = &Error{Status: StatusConfig, Message: "configuration rejected"}
	// ErrMisuse: strict mode saw CheckTool or RecordResult out of order.
	ErrMisuse = &Error{Status: StatusMisuse, Message: "misuse"}
	// ErrState: a saved state was refused (unreadable, unknown version, bad MAC).
	ErrState = &Error{Status: StatusState, Message: "state rejected"}
	// ErrInternal: a bug inside the library was caught.
	ErrInternal = &Error{Status: StatusInternal, Message: "internal error"}
	// ErrClosed: the Guard was used after Close.
	ErrClosed = errors.New("auraguard: guard is closed")
)

// Error is a failure reported by the native library: its status and the
// message saying what was wrong.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("auraguard: %s: %s", e.Status, e.Message)
}

// Is makes errors.Is(err, ErrConfig) (and the other sentinels) true for
// every *Error of the same status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// statusError turns a native status and its message (which it frees) into
// an error; nil for AURAGUARD_OK.
func statusError(status C.auraguard_status, message *C.char) error {
	if message != nil {
		defer C.auraguard_string_free(message)
	}
	if status == C.AURAGUARD_OK {
		return nil
	}
	msg := "no detail given"
	if message != nil {
		msg = C.GoString(message)
	}
	return &Error{Status: Status(status), Message: msg}
}

// takeString copies a string the library returned and frees the original.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.auraguard_string_free(s)
	return C.GoString(s)
}

// takeBytes is takeString for text that is about to be parsed as JSON.
func takeBytes(s *C.char) []byte {
	if s == nil {
		return nil
	}
	defer C.auraguard_string_free(s)
	return C.GoBytes(unsafe.Pointer(s), C.int(C.strlen(s)))
}

package auraguard

/*
#include <auraguard.h>
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"unsafe"
)

// field is one string input of a native call and what to call it in an error.
type field struct {
	value string
	name  string
}

// cStrings lays the inputs of one call out as NUL-terminated strings in a
// single Go buffer. The library only reads its inputs during the call, so
// Go memory may be passed directly, without a C allocation per string.
func cStrings(fields ...field) ([]*C.char, error) {
	size := 0
	for _, f := range fields {
		if strings.IndexByte(f.value, 0) >= 0 {
			return nil, &Error{Status: StatusInvalidArgument, Message: f.name + " contains a NUL byte"}
		}
		size += len(f.value) + 1
	}
	buf := make([]byte, 0, size)
	starts := make([]int, len(fields))
	for i, f := range fields {
		starts[i] = len(buf)
		buf = append(buf, f.value...)
		buf = append(buf, 0)
	}
	out := make([]*C.char, len(fields))
	for i, start := range starts {
		out[i] = (*C.char)(unsafe.Pointer(&buf[start]))
	}
	return out, nil
}

// cString is cStrings for a single byte input.
func cString(value []byte, name string) (*C.char, error) {
	if bytes.IndexByte(value, 0) >= 0 {
		return nil, &Error{Status: StatusInvalidArgument, Message: name + " contains a NUL byte"}
	}
	buf := make([]byte, len(value)+1)
	copy(buf, value)
	return (*C.char)(unsafe.Pointer(&buf[0])), nil
}

// encodeArgs turns a tool's arguments into JSON; nil means "no arguments"
// (the library reads a NULL as {}), and JSON given as bytes is passed as is
// for the library to validate.
func encodeArgs(args any) ([]byte, error) {
	switch a := args.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return a, nil
	case []byte:
		return a, nil
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, &Error{Status: StatusInvalidArgument, Message: "arguments cannot be encoded as JSON: " + err.Error()}
	}
	return raw, nil
}

func nan() float64 { return math.NaN() }

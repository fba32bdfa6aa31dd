package auraguard

/*
#include <auraguard.h>
*/
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// A decision's reason is one of a few codes, so it becomes a Go string once
// and every later decision shares it. Both tables are copied on write:
// reading one is a single load with no lock, so goroutines deciding at the
// same time never contend for it.

// staticReasons maps the library's static reason strings (by address) to Go
// strings; there are as many as the library has codes.
var staticReasons struct {
	mu     sync.Mutex
	byAddr atomic.Pointer[map[uintptr]string]
}

// staticReason is the reason of a decision without details.
func staticReason(p *C.char, n C.size_t) string {
	addr := uintptr(unsafe.Pointer(p))
	if m := staticReasons.byAddr.Load(); m != nil {
		if s, ok := (*m)[addr]; ok {
			return s
		}
	}
	s := string(cBytes(p, n))
	staticReasons.mu.Lock()
	defer staticReasons.mu.Unlock()
	old := staticReasons.byAddr.Load()
	m := make(map[uintptr]string, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[addr] = s
	staticReasons.byAddr.Store(&m)
	return s
}

// A reason that belongs to a details handle has an address of its own each
// time, so those are kept by text, in a list short enough to scan faster
// than a map lookup hashes (a cache decision has one of two or three
// reasons). Only short texts, and only so many: a reason made for the call
// (policy_deny:<why>) may be anything.
const (
	maxKeptReasons   = 16
	maxKeptReasonLen = 64
)

var keptReasons struct {
	mu   sync.Mutex
	list atomic.Pointer[[]string]
}

// reasonText is the reason of a decision with details, b its text in the
// handle's memory.
func reasonText(b []byte) string {
	list := keptReasons.list.Load()
	if list != nil {
		for _, s := range *list {
			// Comparing with string(b) reads b in place; it allocates nothing.
			if s == string(b) {
				return s
			}
		}
	}
	s := string(b)
	if len(s) > maxKeptReasonLen || list != nil && len(*list) >= maxKeptReasons {
		return s
	}
	keptReasons.mu.Lock()
	defer keptReasons.mu.Unlock()
	var next []string
	if old := keptReasons.list.Load(); old != nil {
		for _, k := range *old {
			if k == s {
				return k
			}
		}
		if len(*old) >= maxKeptReasons {
			return s
		}
		next = append(next, *old...)
	}
	next = append(next, s)
	keptReasons.list.Store(&next)
	return s
}

func lenOf(m *map[uintptr]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// cBytes views n bytes of C memory as a slice, without copying: read it
// before the memory is freed, copy what is kept.
func cBytes(p *C.char, n C.size_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

package auraguard

/*
#include <stdlib.h>
#include <auraguard.h>
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// cScratch is everything one native call writes: the decision struct, a
// cache hit's cached-result struct and the error message pointer. It lives
// in C memory: cgo checks the memory behind every Go pointer handed to C
// for Go pointers (a walk over the struct per argument, about a tenth of a
// cache hit's cost in the binding), and a pointer to C memory ends that
// check at once.
type cScratch struct {
	result C.auraguard_check_result
	cached C.auraguard_cached_result
	msg    *C.char
}

// scratch is one call's working memory, pooled so that a call allocates
// none of it: the C part, and the call's options (they hold a Go string,
// which may not be stored in C memory; applying the caller's option
// functions to a local would move it to the heap).
type scratch struct {
	c    *cScratch
	opts callOptions
}

var scratchPool = sync.Pool{New: newScratch}

func newScratch() any {
	s := &scratch{c: (*cScratch)(C.malloc(C.size_t(unsafe.Sizeof(cScratch{}))))}
	*s.c = cScratch{}
	// The pool drops idle entries at garbage collection; their C memory goes
	// with them. A call holds s until it has put s back, after its last use
	// of s.c, so the memory is never freed under it.
	runtime.SetFinalizer(s, func(s *scratch) { C.free(unsafe.Pointer(s.c)) })
	return s
}

// getScratch hands out scratch with no message and the default options.
func getScratch() *scratch {
	s := scratchPool.Get().(*scratch)
	s.c.msg = nil
	s.opts = callOptions{sideEffect: -1}
	return s
}

// putScratch returns s to the pool holding nothing of the call: no handle
// to free twice, no ticket kept alive.
func putScratch(s *scratch) {
	s.c.result.details = nil
	s.opts.ticket = ""
	scratchPool.Put(s)
}

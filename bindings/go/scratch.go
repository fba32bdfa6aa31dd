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

// cScratch is everything a record or a message check writes: a message
// check's decision handle and the error message pointer. It lives
// in C memory: cgo checks the memory behind every Go pointer handed to C
// for Go pointers (a walk over the struct per argument, about a tenth of a
// cache hit's cost in the binding), and a pointer to C memory ends that
// check at once.
type cScratch struct {
	details *C.auraguard_decision
	msg     *C.char
}

// scratch is one record's or message check's working memory, pooled so
// that a call allocates none of it (checks use their guard's check blocks,
// callblock.go).
type scratch struct {
	c *cScratch
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

// getScratch hands out scratch with no message.
func getScratch() *scratch {
	s := scratchPool.Get().(*scratch)
	s.c.msg = nil
	return s
}

// putScratch returns s to the pool holding nothing of the call: no handle
// to free twice.
func putScratch(s *scratch) {
	s.c.details = nil
	scratchPool.Put(s)
}

package auraguard

/*
#include <auraguard.h>
*/
import "C"

import "runtime"

// checkBlock is what one check needs, pooled per guard so that a check
// allocates none of it: one of the guard's call blocks (auraguard_call) and
// the call's options (they hold a Go string, which may not be stored in C
// memory; applying the caller's option functions to a local would move it
// to the heap).
//
// A check made through the call block writes the decision into it, and a
// plain cache hit's cached result with it, owned by the block: a cache hit
// is one crossing into the library instead of three (check, cached result,
// free), and a hit on the result the block already keeps makes nothing in
// the library at all. The block is C memory, which cgo does not walk for Go
// pointers. It does not own the guard and may outlive it; it is made on the
// first check that needs it, used only between the guard's acquire and
// release (never on a freed guard), and freed by the finalizer when the
// pool lets it go.
type checkBlock struct {
	c    *C.auraguard_call
	opts callOptions
}

// getCheck hands out one of g's check blocks with the default options.
func (g *Guard) getCheck() *checkBlock {
	b, ok := g.checks.Get().(*checkBlock)
	if !ok {
		b = new(checkBlock)
		runtime.SetFinalizer(b, func(b *checkBlock) { C.auraguard_call_free(b.c) })
	}
	b.opts = callOptions{sideEffect: -1}
	return b
}

// putCheck gives b back holding nothing of the call: no ticket kept alive.
func (g *Guard) putCheck(b *checkBlock) {
	b.opts.ticket = ""
	g.checks.Put(b)
}

// callBlock is b's call block, made on first use on g's handle p (acquired
// by the caller).
func (b *checkBlock) callBlock(p *C.auraguard_guard) (*C.auraguard_call, error) {
	if b.c != nil {
		return b.c, nil
	}
	var msg *C.char
	if err := statusError(C.auraguard_call_new(p, &b.c, &msg), msg); err != nil {
		return nil, err
	}
	return b.c, nil
}

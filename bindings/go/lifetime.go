package auraguard

/*
#include <auraguard.h>
*/
import "C"

import "runtime"

// A Guard's native pointer is used by many goroutines at once and freed by
// Close once none is using it. Every call counts itself in and out with one
// atomic add each (a mutex would cost a lock and an unlock on each side);
// Close sets closingBit in the same word, so that the count and "closing"
// are read together: a call that counts itself in after Close sees the bit
// and backs out, and whoever brings the word to exactly closingBit (Close
// with no call in flight, or the last call out) frees the guard.
const closingBit = int64(1) << 62

// Close releases the native guard and wipes its secret key. It returns once
// the guard is marked closed; calls already in flight finish first and the
// last of them frees the guard. Every later call returns ErrClosed. Close
// may be called more than once, and from an event handler.
func (g *Guard) Close() error {
	for {
		n := g.inFlight.Load()
		if n&closingBit != 0 {
			return nil
		}
		if g.inFlight.CompareAndSwap(n, n|closingBit) {
			runtime.SetFinalizer(g, nil)
			if n == 0 {
				g.free()
			}
			return nil
		}
	}
}

func (g *Guard) closed() bool {
	return g.inFlight.Load()&closingBit != 0
}

// acquire marks a native call in flight and returns the handle to use, or
// ErrClosed. Every successful acquire is paired with release.
func (g *Guard) acquire() (*C.auraguard_guard, error) {
	if g.inFlight.Add(1)&closingBit != 0 {
		g.release()
		return nil, ErrClosed
	}
	return g.ptr, nil
}

// release ends a native call; after Close, the last call out frees the guard.
func (g *Guard) release() {
	if g.inFlight.Add(-1) == closingBit {
		g.free()
	}
}

// free releases the native guard the first time the count reaches zero
// after Close; a call that backed out of a closed guard may bring it to
// zero again, hence freed.
func (g *Guard) free() {
	if !g.freed.CompareAndSwap(false, true) {
		return
	}
	ptr := g.ptr
	g.ptr = nil
	C.auraguard_guard_free(ptr)
	// The library no longer holds the handle, so the sink can go.
	g.eventHandle.Delete()
}

package auraguard

/*
#include <auraguard.h>
*/
import "C"

import "unsafe"

// cacheDecision fills d from a cache decision, the common rare case (a
// repeated read), through the cached result's accessor (into c) instead of
// JSON. The payload is copied once, out of the details handle that is about
// to be freed. False when the decision carries more than a cached result,
// for the JSON path to read.
func cacheDecision(r *C.auraguard_check_result, c *C.auraguard_cached_result, d *Decision) bool {
	if r.flags&^C.AURAGUARD_CHECK_DETAILS != 0 || !C.auraguard_decision_cached_result(r.details, c) {
		return false
	}
	keptDecision(r, c, d)
	return true
}

// keptDecision fills d from a cache decision whose cached result is in c
// (written by the accessor, or kept by a call block): the payload is
// copied once, out of memory the library owns.
func keptDecision(r *C.auraguard_check_result, c *C.auraguard_cached_result, d *Decision) {
	cached := newCachedResult(cBytes(c.payload_json, c.payload_len))
	cached.OK = bool(c.ok)
	cached.Cached = bool(c.cached)
	cached.SideEffectExecuted = bool(c.side_effect_executed)
	cached.PayloadKept = bool(c.payload_kept)
	if c.error_code != nil {
		code := string(cBytes(c.error_code, c.error_code_len))
		cached.ErrorCode = &code
	}
	d.Action, d.Reason, d.CachedResult = Cache, reasonText(cBytes(r.reason, r.reason_len)), cached
}

// newCachedResult is a CachedResult holding a copy of payload. A small
// payload is stored in the same allocation as the struct (one allocation
// instead of two); its slice is capped at its length, so an append by the
// caller moves it out rather than writing past it.
func newCachedResult(payload []byte) *CachedResult {
	// The struct is 48 bytes; each room fills a size class of Go's allocator.
	switch n := len(payload); {
	case n <= 16: // 64 bytes
		return boxed[[16]byte](payload)
	case n <= 80: // 128
		return boxed[[80]byte](payload)
	case n <= 208: // 256
		return boxed[[208]byte](payload)
	}
	return &CachedResult{Payload: append(make([]byte, 0, len(payload)), payload...)}
}

// cachedBox is a CachedResult with room for its payload after it; the
// payload comes last so the collector scans only the struct's pointers.
type cachedBox[B any] struct {
	result  CachedResult
	payload B
}

func boxed[B any](payload []byte) *CachedResult {
	b := new(cachedBox[B])
	room := unsafe.Slice((*byte)(unsafe.Pointer(&b.payload)), unsafe.Sizeof(b.payload))
	n := copy(room, payload)
	b.result.Payload = room[:n:n]
	return &b.result
}

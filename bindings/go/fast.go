package auraguard

/*
#include <string.h>
#include <auraguard.h>
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"strings"
	"unsafe"
)

// The hot path beneath CheckTool and RecordResult: a check writes its
// decision into one of the guard's call blocks (callblock.go) instead of
// writing JSON, a record takes the result's fields as parameters, and text
// crosses the boundary as pointer and length straight from Go memory (no
// NUL-terminated copies). A plain cache hit's cached result is kept by the
// block (cached.go); only a decision with other rare fields (an escalation
// packet, injected text) is read from JSON.

// noBytes is a non-NULL pointer for empty text, which the library reads as
// "" rather than as absent.
var noBytes = [1]byte{}

func strPtr(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return (*C.uint8_t)(unsafe.Pointer(&noBytes[0])), 0
	}
	// A string's first word is its data pointer (unsafe.StringData needs go1.20).
	return *(**C.uint8_t)(unsafe.Pointer(&s)), C.size_t(len(s))
}

// optPtr is strPtr with "" as absent (NULL).
func optPtr(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return strPtr(s)
}

func bytesPtr(b []byte) (*C.uint8_t, C.size_t) {
	if b == nil {
		return nil, 0
	}
	if len(b) == 0 {
		return (*C.uint8_t)(unsafe.Pointer(&noBytes[0])), 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

var actionNames = [...]Action{Allow, Block, Cache, Rewrite, Escalate, Finalize}

// decisionFrom reads the decision a call block's check wrote into d: a
// plain cache hit from the cached result the block keeps (in c), any other
// from the result struct r. The details handle, when there is one, is freed
// here: a cache decision is read through the cached result's accessor (into
// c, C memory, as cgo wants), any other through its JSON.
func decisionFrom(r *C.auraguard_check_result, c *C.auraguard_cached_result, d *Decision) error {
	if r.flags == C.AURAGUARD_CHECK_KEPT {
		keptDecision(r, c, d)
		return nil
	}
	if r.details != nil {
		defer C.auraguard_decision_free(r.details)
		if r.action == C.AURAGUARD_ACTION_CACHE && cacheDecision(r, c, d) {
			return nil
		}
		js := C.auraguard_decision_json(r.details)
		var err error
		*d, err = parseDecision(C.GoBytes(unsafe.Pointer(js), C.int(C.strlen(js))))
		return err
	}
	if int(r.action) >= len(actionNames) {
		return &Error{Status: StatusInternal, Message: "unknown action from the library"}
	}
	d.Action = actionNames[r.action]
	d.Reason = staticReason(r.reason, r.reason_len)
	flags := C.uint32_t(r.flags)
	if flags&C.AURAGUARD_CHECK_CALL_ID != 0 {
		id := uint64(r.call_id)
		d.CallID = &id
	}
	if flags&C.AURAGUARD_CHECK_IDEMPOTENCY_KEY != 0 {
		d.IdempotencyKey = string(cBytes(&r.idempotency_key[0], 32))
	}
	if flags&C.AURAGUARD_CHECK_LEASE != 0 {
		ms := uint64(r.lease_ms)
		d.LeaseMs = &ms
	}
	if flags&C.AURAGUARD_CHECK_RETRY_AFTER != 0 {
		ms := uint64(r.retry_after_ms)
		d.RetryAfterMs = &ms
	}
	return nil
}

// afterCall delivers the events a call queued; without faults (a public
// method) a handler's panic is raised here, as call does. Without a
// listener nothing is ever queued, and the check is one load.
func (g *Guard) afterCall(faults *handlerFaults) {
	if g.events.queued.Load() == 0 {
		return
	}
	g.deliverQueued(faults)
}

func (g *Guard) deliverQueued(faults *handlerFaults) {
	if faults != nil {
		g.events.dispatch(faults)
		return
	}
	var own handlerFaults
	g.events.dispatch(&own)
	own.rethrow()
}

func nulError(name string) error {
	return &Error{Status: StatusInvalidArgument, Message: name + " contains a NUL byte"}
}

// checkFast is CheckTool through auraguard_call_check_bytes, with the
// call's options in s (which it returns to g's pool), filling d, a zero
// Decision; d is not to be used when it returns an error.
func (g *Guard) checkFast(faults *handlerFaults, s *checkBlock, tool string, args []byte, d *Decision) error {
	o := &s.opts
	switch {
	case strings.IndexByte(tool, 0) >= 0:
		g.putCheck(s)
		return nulError("tool name")
	case bytes.IndexByte(args, 0) >= 0:
		g.putCheck(s)
		return nulError("arguments")
	case strings.IndexByte(o.ticket, 0) >= 0:
		g.putCheck(s)
		return nulError("ticket id")
	}
	p, err := g.acquire()
	if err != nil {
		g.putCheck(s)
		return err
	}
	c, err := s.callBlock(p)
	if err != nil {
		g.release()
		g.putCheck(s)
		return err
	}
	toolPtr, toolLen := strPtr(tool)
	argsPtr, argsLen := bytesPtr(args)
	ticketPtr, ticketLen := optPtr(o.ticket)
	// cgo keeps the Go memory behind these pointers alive during the call.
	status := C.auraguard_call_check_bytes(c, toolPtr, toolLen, argsPtr, argsLen, ticketPtr, ticketLen,
		o.sideEffect)
	g.release()
	// The block is this call's until it goes back to the pool, and it may
	// outlive the guard: what the check wrote is read after the release.
	msg := c.error
	c.error = nil
	err = statusError(status, msg)
	if err == nil {
		err = decisionFrom(&c.result, &c.cached, d)
	}
	g.putCheck(s)
	g.afterCall(faults)
	return err
}

// payloadJSON is a result's payload as JSON text: bytes pass as they are
// (the library validates them), nil is absent, anything else goes through
// encoding/json.
func payloadJSON(payload any) ([]byte, error) {
	switch p := payload.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if p == nil {
			return nil, nil
		}
		return p, nil
	case []byte:
		if p == nil {
			return nil, nil
		}
		return p, nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, &Error{Status: StatusInvalidArgument, Message: "result cannot be encoded: " + err.Error()}
	}
	return raw, nil
}

// recordFast is RecordResult through auraguard_record_result_fast.
func (g *Guard) recordFast(faults *handlerFaults, r *Result) error {
	payload, err := payloadJSON(r.Payload)
	if err != nil {
		return err
	}
	var callID C.uint64_t
	if r.CallID != nil {
		if *r.CallID == 0 {
			// 0 means "the latest call" to the library; no call has id 0.
			return &Error{Status: StatusInvalidArgument, Message: "call_id 0 does not await a result (never issued, already recorded, or dropped as missed)"}
		}
		callID = C.uint64_t(*r.CallID)
	}
	executed := C.int32_t(-1)
	if r.SideEffectExecuted != nil {
		executed = 0
		if *r.SideEffectExecuted {
			executed = 1
		}
	}
	p, err := g.acquire()
	if err != nil {
		return err
	}
	s := getScratch()
	payloadPtr, payloadLen := bytesPtr(payload)
	codePtr, codeLen := optPtr(r.ErrorCode)
	status := C.auraguard_record_result_fast(p, callID, C.bool(r.OK), payloadPtr, payloadLen, codePtr, codeLen,
		executed, &s.c.msg)
	g.release()
	err = statusError(status, s.c.msg)
	putScratch(s)
	g.afterCall(faults)
	return err
}

// checkOutputFast is CheckOutput through auraguard_check_output_fast: the
// message is read in place; only a decision (rare) is read from JSON.
func (g *Guard) checkOutputFast(text string) (*Decision, error) {
	if strings.IndexByte(text, 0) >= 0 {
		return nil, nulError("text")
	}
	p, err := g.acquire()
	if err != nil {
		return nil, err
	}
	s := getScratch()
	textPtr, textLen := strPtr(text)
	status := C.auraguard_check_output_fast(p, textPtr, textLen, &s.c.details, &s.c.msg)
	handle := s.c.details
	g.release()
	err = statusError(status, s.c.msg)
	putScratch(s)
	g.afterCall(nil)
	if err != nil || handle == nil {
		return nil, err
	}
	defer C.auraguard_decision_free(handle)
	js := C.auraguard_decision_json(handle)
	d, err := parseDecision(C.GoBytes(unsafe.Pointer(js), C.int(C.strlen(js))))
	if err != nil {
		return nil, err
	}
	return &d, nil
}

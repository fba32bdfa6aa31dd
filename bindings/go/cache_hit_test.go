package auraguard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// A cache hit's payload is a copy taken out of the library's decision
// before the decision is freed: it must be whole, stay as it was whatever
// the guard does next, and belong to the caller alone.

// cacheHit executes a read twice with payload and returns the third check,
// the cache hit.
func cacheHit(t *testing.T, g *Guard, orderID string, payload json.RawMessage) Decision {
	t.Helper()
	for i := 0; i < 2; i++ {
		d := check(t, g, "get_order", args("order_id", orderID))
		expect(t, d, Allow, "allow")
		recordOK(t, g, d, payload)
	}
	d := check(t, g, "get_order", args("order_id", orderID))
	expect(t, d, Cache, "identical_toolcall_loop_cache")
	return d
}

// sameJSON fails unless got and want hold the same JSON value (the engine
// keeps a payload in canonical form: keys sorted, no needless escapes).
func sameJSON(t *testing.T, got, want []byte, what string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %.80q", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: the test's own payload: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: payload %.80q, want %.80q", what, got, want)
	}
}

// cachePayloads are JSON objects of every length across the sizes the
// binding stores differently, in ASCII and in text that is not, and large.
func cachePayloads() []json.RawMessage {
	var out []json.RawMessage
	for n := 0; n <= 260; n++ {
		out = append(out, json.RawMessage(`{"v":"`+strings.Repeat("x", n)+`"}`))
	}
	for n := 0; n <= 90; n += 3 {
		out = append(out, json.RawMessage(`{"v":"`+strings.Repeat("ü東🚚", n)+`","w":"Müller — €"}`))
	}
	out = append(out, json.RawMessage(`{"v":"`+strings.Repeat("Grüße aus 東京 ", 20000)+`"}`))
	return out
}

func TestACacheHitCarriesItsPayloadWholeAndKeepsIt(t *testing.T) {
	g := newGuard(t, Config{})
	payloads := cachePayloads()
	hits := make([]Decision, len(payloads))
	firstSeen := make([][]byte, len(payloads))
	for i, p := range payloads {
		if err := g.Reset(); err != nil { // a fresh run for every read: no run limit is reached
			t.Fatal(err)
		}
		d := cacheHit(t, g, fmt.Sprint("A", i), p)
		c := d.CachedResult
		if c == nil || !c.OK || !c.Cached || c.SideEffectExecuted || !c.PayloadKept || c.ErrorCode != nil {
			t.Fatalf("payload %d: cached result %+v", i, c)
		}
		sameJSON(t, c.Payload, p, fmt.Sprint("payload ", i))
		hits[i], firstSeen[i] = d, append([]byte(nil), c.Payload...)
	}
	// Later calls, other hits and collections leave every payload as it was.
	for i := range payloads {
		cacheHit(t, g, fmt.Sprint("B", i), json.RawMessage(`{"other":true}`))
	}
	runtime.GC()
	for i, d := range hits {
		if !bytes.Equal(d.CachedResult.Payload, firstSeen[i]) {
			t.Fatalf("payload %d changed after more calls: %.80q, was %.80q", i, d.CachedResult.Payload, firstSeen[i])
		}
	}
}

func TestEachCacheHitOwnsItsPayload(t *testing.T) {
	g := newGuard(t, Config{})
	first := cacheHit(t, g, "A1", json.RawMessage(`{"status":"shipped"}`))
	want := string(first.CachedResult.Payload)
	second := check(t, g, "get_order", args("order_id", "A1"))
	expect(t, second, Cache, "identical_toolcall_loop_cache")

	// Writing into one hit's payload, or appending to it, reaches no other
	// hit and nothing else of the same one.
	p := first.CachedResult.Payload
	for i := range p {
		p[i] = '#'
	}
	grown := append(p, `,"more":1`...)
	grown[0] = '!'
	if string(second.CachedResult.Payload) != want {
		t.Fatalf("second hit's payload = %q, want %q", second.CachedResult.Payload, want)
	}
	if c := first.CachedResult; !c.OK || !c.Cached || !c.PayloadKept || c.ErrorCode != nil || len(c.Payload) != len(want) {
		t.Fatalf("first hit after writes to its payload: %+v", c)
	}
	third := check(t, g, "get_order", args("order_id", "A1"))
	if string(third.CachedResult.Payload) != want {
		t.Fatalf("third hit's payload = %q, want %q", third.CachedResult.Payload, want)
	}
}

func TestAReplayedFailureCarriesItsErrorCode(t *testing.T) {
	g := newGuard(t, Config{})
	d := check(t, g, "refund", args("order_id", "A"), WithTicket("T-1"))
	executed := true
	if err := g.RecordResult(Result{OK: false, ErrorCode: "zeitüberschreitung", SideEffectExecuted: &executed, CallID: d.CallID}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		again := check(t, g, "refund", args("order_id", "A"), WithTicket("T-1"))
		expect(t, again, Cache, "idempotent_replay")
		c := again.CachedResult
		if c == nil || c.OK || !c.Cached || !c.SideEffectExecuted || !c.PayloadKept || string(c.Payload) != "null" {
			t.Fatalf("replay %d: %+v", i, c)
		}
		if c.ErrorCode == nil || *c.ErrorCode != "zeitüberschreitung" {
			t.Fatalf("replay %d: error code %v", i, c.ErrorCode)
		}
	}
}

// Options live in pooled memory between calls: none may leak into the next.
func TestCallOptionsApplyToTheirCallOnly(t *testing.T) {
	g := newGuard(t, Config{})
	d := check(t, g, "refund", args("order_id", "A"), WithTicket("T-1"))
	expect(t, d, Allow, "allow")
	recordOK(t, g, d, nil)
	expect(t, check(t, g, "refund", args("order_id", "A")), Block, "side_effect_limit_exceeded")
	expect(t, check(t, g, "refund", args("order_id", "A"), WithTicket("T-1")), Cache, "idempotent_replay")

	if d := check(t, g, "page_oncall", args("to", "ops"), WithSideEffect(true)); d.IdempotencyKey == "" {
		t.Fatal("a call marked as a side effect gets an idempotency key")
	}
	if d := check(t, g, "page_oncall", args("to", "sre")); d.IdempotencyKey != "" {
		t.Fatalf("the next call, unmarked, has idempotency key %q", d.IdempotencyKey)
	}
}

// Goroutines taking cache hits at once each get their own payload.
func TestConcurrentCacheHitsKeepTheirPayloads(t *testing.T) {
	const workers, hits = 8, 200
	// The window holds every call, so each worker's read stays a repeat.
	g := newGuard(t, Config{MaxPendingCalls: Int(workers), ToolLoopWindow: Int(workers * (hits + 3))})
	want := make([]string, workers)
	for w := range want {
		want[w] = string(cacheHit(t, g, fmt.Sprint("W", w), json.RawMessage(fmt.Sprintf(`{"worker":%d,"pad":"%s"}`, w, strings.Repeat("é", w*20)))).CachedResult.Payload)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < hits; i++ {
				d, err := g.CheckTool("get_order", args("order_id", fmt.Sprint("W", w)))
				if err != nil || d.Action != Cache || string(d.CachedResult.Payload) != want[w] {
					t.Errorf("worker %d hit %d: %v %v", w, i, d, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}

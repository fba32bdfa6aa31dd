package auraguard

import (
	"encoding/json"
	"strings"
	"testing"
)

// A result whose payload is too large to keep is still booked: the side
// effect is never re-allowed, its replay says the payload was not kept,
// and the stats count it.
func TestAResultTooLargeToKeepIsBookedAndItsReplaySaysSo(t *testing.T) {
	g := newGuard(t, Config{MaxJSONBytes: Int(1024)})
	d, err := g.CheckTool("refund", args("order_id", "A"), WithTicket("T-1"))
	if err != nil || d.Action != Allow {
		t.Fatalf("first refund: %+v, %v", d, err)
	}
	big := json.RawMessage(`{"receipt":"` + strings.Repeat("x", 4096) + `"}`)
	if err := g.RecordResult(Result{OK: true, Payload: big, CallID: d.CallID}); err != nil {
		t.Fatalf("a payload too large to keep must still be booked: %v", err)
	}
	again, err := g.CheckTool("refund", args("order_id", "A"), WithTicket("T-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := again.CachedResult
	if again.Action != Cache || again.Reason != "idempotent_replay" || c == nil {
		t.Fatalf("the refund was not replayed: %+v", again)
	}
	if c.PayloadKept || string(c.Payload) != "null" || !c.OK {
		t.Fatalf("replay: kept %v, payload %s, ok %v", c.PayloadKept, c.Payload, c.OK)
	}
	s := stats(t, g)
	if s.PayloadsNotKept != 1 || s.ToolCallsExecuted != 1 || s.LedgerErrors != 0 {
		t.Fatalf("stats: not kept %d, executed %d, ledger errors %d", s.PayloadsNotKept, s.ToolCallsExecuted, s.LedgerErrors)
	}
	// A kept payload says so too, on the fast path and in JSON.
	d, _ = g.CheckTool("get_order", args("order_id", "B"))
	g.RecordResult(Result{OK: true, Payload: json.RawMessage(`{"status":"ok"}`), CallID: d.CallID})
	for i := 0; i < 2; i++ {
		d, _ = g.CheckTool("get_order", args("order_id", "B"))
		if d.Action == Allow {
			g.RecordResult(Result{OK: true, Payload: json.RawMessage(`{"status":"ok"}`), CallID: d.CallID})
		}
	}
	if d.Action != Cache || !d.CachedResult.PayloadKept {
		t.Fatalf("a kept payload: %+v", d)
	}
	var fromJSON CachedResult
	if err := json.Unmarshal([]byte(`{"ok":true,"payload":1,"cached":true}`), &fromJSON); err != nil || !fromJSON.PayloadKept {
		t.Fatalf("payload_kept defaults to true in JSON: %+v, %v", fromJSON, err)
	}
}

package auraguard

import (
	"strings"
	"testing"
)

func TestStrictModeRefusesCallsOutOfOrder(t *testing.T) {
	g := newGuard(t, Config{StrictMode: Bool(true)})

	err := g.RecordResult(Result{OK: true})
	wantErr(t, err, ErrMisuse)

	d := check(t, g, "get_order", args("order_id", "1"))
	expect(t, d, Allow, "allow")
	_, err = g.CheckTool("get_order", args("order_id", "2"))
	wantErr(t, err, ErrMisuse)
	if !strings.Contains(err.Error(), "AURAGUARD_ERR_MISUSE") {
		t.Fatalf("the error names its status: %v", err)
	}

	// The refused check changed nothing: the first call still awaits its result.
	if s := stats(t, g); s.PendingCalls != 1 || s.MissedResults != 0 {
		t.Fatalf("pending %d, missed %d", s.PendingCalls, s.MissedResults)
	}
	recordOK(t, g, d, nil)
	expect(t, check(t, g, "get_order", args("order_id", "2")), Allow, "allow")
}

func TestNonStrictModeCountsMissedResults(t *testing.T) {
	g := newGuard(t, Config{})
	if err := g.RecordResult(Result{OK: true}); err != nil {
		t.Fatalf("a result with nothing awaiting is ignored outside strict mode: %v", err)
	}
	check(t, g, "get_order", args("order_id", "1"))
	check(t, g, "get_order", args("order_id", "2"))
	if s := stats(t, g); s.MissedResults != 1 {
		t.Fatalf("missed_results = %d, want 1", s.MissedResults)
	}
}

func TestParallelCallsAreRecordedByCallID(t *testing.T) {
	g := newGuard(t, Config{MaxPendingCalls: Int(3)})
	var ds []Decision
	for _, id := range []string{"1", "2", "3"} {
		d := check(t, g, "get_order", args("order_id", id))
		expect(t, d, Allow, "allow")
		ds = append(ds, d)
	}
	if *ds[0].CallID == *ds[1].CallID || *ds[1].CallID == *ds[2].CallID {
		t.Fatalf("call ids are not distinct: %d %d %d", *ds[0].CallID, *ds[1].CallID, *ds[2].CallID)
	}
	if s := stats(t, g); s.PendingCalls != 3 {
		t.Fatalf("pending_calls = %d, want 3", s.PendingCalls)
	}
	// Results arrive out of order; one of them fails.
	recordOK(t, g, ds[2], "third")
	if err := g.RecordResult(Result{OK: false, ErrorCode: "timeout", CallID: ds[0].CallID}); err != nil {
		t.Fatal(err)
	}
	recordOK(t, g, ds[1], "second")

	wantErr(t, g.RecordResult(Result{OK: true, CallID: ds[1].CallID}), ErrInvalidArgument)
	unknown := uint64(999999)
	wantErr(t, g.RecordResult(Result{OK: true, CallID: &unknown}), ErrInvalidArgument)

	s := stats(t, g)
	if s.PendingCalls != 0 || s.ToolCallsExecuted != 3 || s.ToolCallsFailed != 1 || s.MissedResults != 0 {
		t.Fatalf("stats after recording: %+v", s)
	}
}

package auraguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
)

type httpError struct{ status int }

func (e httpError) Error() string     { return fmt.Sprintf("HTTP %d", e.status) }
func (e httpError) ErrorCode() string { return fmt.Sprint(e.status) }

var bg = context.Background()

type order struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func TestRunAllowExecutesAndRecords(t *testing.T) {
	g := newGuard(t, Config{})
	calls := 0
	out, err := Run(bg, g, "get_order", args("order_id", "1"), func(context.Context) (order, error) {
		calls++
		return order{ID: "1", Status: "shipped"}, nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("Run: %v (tool ran %d times)", err, calls)
	}
	if out.Status != "shipped" {
		t.Fatalf("Run returned %+v", out)
	}
	if s := stats(t, g); s.ToolCallsExecuted != 1 || s.PendingCalls != 0 {
		t.Fatalf("executed %d, pending %d", s.ToolCallsExecuted, s.PendingCalls)
	}
}

// A replay has the shape of the first call: the typed form decodes into T,
// the untyped form returns what JSON reads back on every call.
func TestRunReplayHasTheShapeOfTheFirstCall(t *testing.T) {
	g := newGuard(t, Config{})
	calls := 0
	typed := func(context.Context) (order, error) { calls++; return order{"1", "shipped"}, nil }
	var results []order
	for i := 0; i < 3; i++ {
		out, err := Run(bg, g, "get_order", args("order_id", "1"), typed)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, out)
	}
	if calls != 2 || results[2] != results[0] {
		t.Fatalf("tool ran %d times (want 2, the third call is a cache hit); results %+v", calls, results)
	}

	untyped := func(context.Context) (any, error) { calls++; return order{"2", "lost"}, nil }
	var dynamic []any
	for i := 0; i < 3; i++ {
		out, err := g.Run(bg, "get_order", args("order_id", "2"), untyped)
		if err != nil {
			t.Fatal(err)
		}
		dynamic = append(dynamic, out)
	}
	want := map[string]any{"id": "2", "status": "lost"}
	for i, out := range dynamic {
		if !reflect.DeepEqual(out, want) {
			t.Fatalf("untyped result %d = %#v, want %#v", i, out, want)
		}
	}

	raw, err := Run(bg, g, "get_order", args("order_id", "1"), func(context.Context) (CachedPayload, error) {
		t.Fatal("a cached call must not run")
		return nil, nil
	})
	if err != nil || string(raw) != `{"id":"1","status":"shipped"}` {
		t.Fatalf("Run[CachedPayload] = %s, %v", raw, err)
	}
}

func TestRunRecordsErrorCodes(t *testing.T) {
	g := newGuard(t, Config{})
	for i := 0; i < 2; i++ {
		_, err := g.Run(bg, "get_order", args("order_id", fmt.Sprint(i)), func(context.Context) (any, error) {
			return nil, fmt.Errorf("upstream: %w", httpError{503})
		})
		var he httpError
		if !errors.As(err, &he) {
			t.Fatalf("Run returns the tool's error, got %v", err)
		}
	}
	// Two 503s quarantine the tool: the code reached the engine.
	_, err := g.Run(bg, "get_order", args("order_id", "9"), func(context.Context) (any, error) {
		t.Fatal("a quarantined tool must not run")
		return nil, nil
	})
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Decision.Reason != "tool_quarantined:error_retry:5xx" {
		t.Fatalf("err = %v, want a denial for the quarantine", err)
	}
	if denied.Decision.Action != Rewrite || denied.Decision.InjectedSystem == "" {
		t.Fatalf("decision = %+v", denied.Decision)
	}
}

func TestRunBlockAndEscalateAreDenials(t *testing.T) {
	g := newGuard(t, Config{ToolPolicies: map[string]ToolPolicy{
		"delete_account": {Access: AccessDeny, DenyReason: "irreversible"},
		"wire_transfer":  {Access: AccessHuman, Risk: "high"},
	}})
	never := func(context.Context) (any, error) { t.Fatal("a denied tool must not run"); return nil, nil }

	_, err := g.Run(bg, "delete_account", args("id", "1"), never)
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Decision.Action != Block || denied.Decision.Reason != "policy_deny:irreversible" {
		t.Fatalf("block: %v", err)
	}
	if denied.Tool != "delete_account" {
		t.Fatalf("denial names tool %q", denied.Tool)
	}

	_, err = g.Run(bg, "wire_transfer", args("amount", "100"), never)
	if !errors.As(err, &denied) || denied.Decision.Action != Escalate {
		t.Fatalf("escalate: %v", err)
	}
	p := denied.Decision.EscalationPacket
	if p == nil || p.Risk != "high" || p.Tool != "wire_transfer" || string(p.Route) != `"human_approval"` {
		t.Fatalf("escalation packet = %+v", p)
	}
}

func TestRunSideEffectReplayIsCached(t *testing.T) {
	g := newGuard(t, Config{})
	refunds := 0
	refund := func(context.Context) (any, error) { refunds++; return map[string]bool{"refunded": true}, nil }
	for i := 0; i < 2; i++ {
		if _, err := g.Run(bg, "refund", args("order_id", "A"), refund, WithTicket("T")); err != nil {
			t.Fatal(err)
		}
	}
	if refunds != 1 {
		t.Fatalf("refund executed %d times, want 1", refunds)
	}
}

func TestRunRecordsAPanicAsAFailure(t *testing.T) {
	g := newGuard(t, Config{StrictMode: Bool(true)})
	func() {
		defer func() {
			if r := recover(); r != "tool bug" {
				t.Fatalf("recovered %v, want the tool's panic", r)
			}
		}()
		g.Run(bg, "get_order", args("order_id", "1"), func(context.Context) (any, error) { panic("tool bug") })
	}()
	// In strict mode an unrecorded call would make the next check a misuse.
	expect(t, check(t, g, "get_order", args("order_id", "2")), Allow, "allow")
	if s := stats(t, g); s.ToolCallsFailed != 1 {
		t.Fatalf("tool_calls_failed = %d, want 1", s.ToolCallsFailed)
	}
}

func TestRunPassesGuardErrorsThrough(t *testing.T) {
	g := newGuard(t, Config{})
	_, err := g.Run(bg, "get_order", json.RawMessage(`{"order_id": `), func(context.Context) (any, error) { return nil, nil })
	wantErr(t, err, ErrInvalidArgument)
	var denied *DeniedError
	if errors.As(err, &denied) {
		t.Fatal("a malformed call is an error, not a denial")
	}
}

// A cancelled context checks nothing; a cancellation during the call is
// recorded as "cancelled", and for a side-effect tool as executed.
func TestRunHonoursTheContext(t *testing.T) {
	g := newGuard(t, Config{})
	done, cancel := context.WithCancel(bg)
	cancel()
	_, err := g.Run(done, "refund", args("order_id", "A"), func(context.Context) (any, error) {
		t.Fatal("a cancelled Run must not execute")
		return nil, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if s := stats(t, g); s.ToolCallsExecuted+s.ToolCallsDenied+s.PendingCalls != 0 {
		t.Fatalf("a cancelled Run reached the guard: %+v", s)
	}

	refunds := 0
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithCancel(bg)
		_, err = g.Run(ctx, "refund", args("order_id", "A"), func(ctx context.Context) (any, error) {
			refunds++
			cancel() // the caller gives up while the refund is on its way
			<-ctx.Done()
			return nil, ctx.Err()
		}, WithTicket("T-1"))
		cancel()
	}
	if refunds != 1 {
		t.Fatalf("a refund cancelled mid-call ran %d times, want 1", refunds)
	}
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Decision.CachedResult == nil ||
		denied.Decision.CachedResult.ErrorCode == nil || *denied.Decision.CachedResult.ErrorCode != CodeCancelled {
		t.Fatalf("the retry: %v, want the recorded cancellation", err)
	}
}

// The value of a tool that ran is returned even when it cannot be recorded
// as given; the outcome is recorded without it, and the problem is counted
// and announced. (A value over max_json_bytes is no such problem: the
// engine books the result without its payload.)
func TestRunKeepsTheValueWhenRecordingFails(t *testing.T) {
	g := newGuard(t, Config{MaxJSONBytes: Int(1024)})
	var events []Event
	if err := g.OnEvent(func(e Event) { events = append(events, e) }); err != nil {
		t.Fatal(err)
	}
	refunds := 0
	big := func(context.Context) (string, error) { refunds++; return fmt.Sprintf("%02000d", 7), nil }
	out, err := Run(bg, g, "refund", args("order_id", "A"), big, WithTicket("T"))
	if err != nil || len(out) != 2000 {
		t.Fatalf("Run = %q, %v; want the tool's value and no error", out, err)
	}
	notJSON := func(context.Context) (float64, error) { return math.Inf(1), nil }
	if v, err := Run(bg, g, "get_rate", nil, notJSON); err != nil || !math.IsInf(v, 1) {
		t.Fatalf("Run = %v, %v", v, err)
	}
	if n := g.RecordFailures(); n != 1 {
		t.Fatalf("RecordFailures = %d, want 1", n)
	}
	var failed []Event
	for _, e := range events {
		if e.Type == EventRecordFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || failed[0].Tool != "get_rate" || failed[0].Reason == "" {
		t.Fatalf("record_failed events = %+v", failed)
	}
	// Both calls were recorded as executed; the refund is never re-allowed.
	if s := stats(t, g); s.ToolCallsExecuted != 2 || s.PendingCalls != 0 {
		t.Fatalf("executed %d, pending %d", s.ToolCallsExecuted, s.PendingCalls)
	}
	if _, err := Run(bg, g, "refund", args("order_id", "A"), big, WithTicket("T")); err != nil || refunds != 1 {
		t.Fatalf("the replayed refund: %v, executed %d times", err, refunds)
	}
}

func TestEveryStringRejectsNUL(t *testing.T) {
	g := newGuard(t, Config{})
	for _, c := range []struct {
		name string
		err  error
	}{
		{"tool", func() error { _, err := g.CheckTool("get\x00order", nil); return err }()},
		{"ticket", func() error { _, err := g.CheckTool("t", nil, WithTicket("T\x001")); return err }()},
		{"raw args", func() error { _, err := g.CheckTool("t", json.RawMessage("{\"a\":\"\x00\"}")); return err }()},
		{"text", func() error { _, err := g.CheckOutput("hi\x00there"); return err }()},
		{"state", g.LoadState([]byte("{\x00}"))},
		{"config", func() error { _, err := NewFromJSON([]byte("{\"secret_key\":\"k\x00\"}")); return err }()},
	} {
		if !errors.Is(c.err, ErrInvalidArgument) {
			t.Errorf("%s with a NUL: %v, want ErrInvalidArgument", c.name, c.err)
		}
	}
	if s := stats(t, g); s.PendingCalls != 0 || s.ToolCallsDenied != 0 {
		t.Fatalf("a refused input changed the guard: %+v", s)
	}
}

func TestReportIsTextAndReportJSONIsTheData(t *testing.T) {
	g := newGuard(t, Config{})
	recordOK(t, g, check(t, g, "get_order", args("order_id", "1")), nil)
	text, err := g.Report()
	if err != nil || json.Valid([]byte(text)) || text == "" {
		t.Fatalf("Report is text for a person, got %q (%v)", text, err)
	}
	raw, err := g.ReportJSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON ReportData
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatal(err)
	}
	data, err := g.ReportData()
	if err != nil || !reflect.DeepEqual(data, fromJSON) || data.Stats.ToolCallsExecuted != 1 {
		t.Fatalf("ReportData %+v differs from ReportJSON %s (%v)", data, raw, err)
	}
}

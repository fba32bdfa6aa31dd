package auraguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

type httpError struct{ status int }

func (e httpError) Error() string     { return fmt.Sprintf("HTTP %d", e.status) }
func (e httpError) ErrorCode() string { return fmt.Sprint(e.status) }

func TestRunAllowExecutesAndRecords(t *testing.T) {
	g := newGuard(t, Config{})
	calls := 0
	out, err := g.Run("get_order", args("order_id", "1"), func() (any, error) {
		calls++
		return map[string]string{"status": "shipped"}, nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("Run: %v (tool ran %d times)", err, calls)
	}
	if out.(map[string]string)["status"] != "shipped" {
		t.Fatalf("Run returned %v", out)
	}
	if s := stats(t, g); s.ToolCallsExecuted != 1 || s.PendingCalls != 0 {
		t.Fatalf("executed %d, pending %d", s.ToolCallsExecuted, s.PendingCalls)
	}
}

func TestRunCacheReturnsTheStoredPayload(t *testing.T) {
	g := newGuard(t, Config{})
	calls := 0
	tool := func() (any, error) { calls++; return map[string]string{"status": "shipped"}, nil }
	var out any
	var err error
	for i := 0; i < 3; i++ {
		if out, err = g.Run("get_order", args("order_id", "1"), tool); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Fatalf("the tool ran %d times, want 2 (the third call is a cache hit)", calls)
	}
	cached, ok := out.(CachedPayload)
	if !ok {
		t.Fatalf("a cached result is a CachedPayload, got %T", out)
	}
	var order struct{ Status string }
	if err := cached.Decode(&order); err != nil || order.Status != "shipped" {
		t.Fatalf("cached payload %s: %v", cached, err)
	}
	if s := fmt.Sprint(cached); s != `{"status":"shipped"}` {
		t.Fatalf("a cached payload prints as its JSON, got %s", s)
	}
	if raw, _ := json.Marshal(map[string]any{"v": cached}); string(raw) != `{"v":{"status":"shipped"}}` {
		t.Fatalf("a cached payload encodes as its JSON, got %s", raw)
	}
}

func TestRunRecordsErrorCodes(t *testing.T) {
	g := newGuard(t, Config{})
	for i := 0; i < 2; i++ {
		_, err := g.Run("get_order", args("order_id", fmt.Sprint(i)), func() (any, error) {
			return nil, fmt.Errorf("upstream: %w", httpError{503})
		})
		var he httpError
		if !errors.As(err, &he) {
			t.Fatalf("Run returns the tool's error, got %v", err)
		}
	}
	// Two 503s quarantine the tool: the code reached the engine.
	_, err := g.Run("get_order", args("order_id", "9"), func() (any, error) {
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

func TestRunDefaultErrorCodes(t *testing.T) {
	if got := errorCode(fmt.Errorf("call: %w", context.DeadlineExceeded)); got != "timeout" {
		t.Fatalf("deadline exceeded → %q, want timeout", got)
	}
	if got := errorCode(errors.New("boom")); got != DefaultErrorCode {
		t.Fatalf("plain error → %q, want %q", got, DefaultErrorCode)
	}
	// Two timeouts quarantine the tool, as "timeout" is a quarantine code.
	g := newGuard(t, Config{})
	for i := 0; i < 2; i++ {
		g.Run("search_kb", args("query", fmt.Sprint("q", i)), func() (any, error) {
			return nil, context.DeadlineExceeded
		})
	}
	if why := stats(t, g).QuarantinedTools["search_kb"]; why != "error_retry:timeout" {
		t.Fatalf("quarantine = %q, want error_retry:timeout", why)
	}
}

func TestRunBlockAndEscalateAreDenials(t *testing.T) {
	g := newGuard(t, Config{ToolPolicies: map[string]ToolPolicy{
		"delete_account": {Access: AccessDeny, DenyReason: "irreversible"},
		"wire_transfer":  {Access: AccessHuman, Risk: "high"},
	}})
	never := func() (any, error) { t.Fatal("a denied tool must not run"); return nil, nil }

	_, err := g.Run("delete_account", args("id", "1"), never)
	var denied *DeniedError
	if !errors.As(err, &denied) || denied.Decision.Action != Block || denied.Decision.Reason != "policy_deny:irreversible" {
		t.Fatalf("block: %v", err)
	}
	if denied.Tool != "delete_account" {
		t.Fatalf("denial names tool %q", denied.Tool)
	}

	_, err = g.Run("wire_transfer", args("amount", "100"), never)
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
	refund := func() (any, error) { refunds++; return map[string]bool{"refunded": true}, nil }
	for i := 0; i < 2; i++ {
		if _, err := g.Run("refund", args("order_id", "A"), refund, WithTicket("T")); err != nil {
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
		g.Run("get_order", args("order_id", "1"), func() (any, error) { panic("tool bug") })
	}()
	// In strict mode an unrecorded call would make the next check a misuse.
	expect(t, check(t, g, "get_order", args("order_id", "2")), Allow, "allow")
	if s := stats(t, g); s.ToolCallsFailed != 1 {
		t.Fatalf("tool_calls_failed = %d, want 1", s.ToolCallsFailed)
	}
}

func TestRunPassesGuardErrorsThrough(t *testing.T) {
	g := newGuard(t, Config{})
	_, err := g.Run("get_order", json.RawMessage(`{"order_id": `), func() (any, error) { return nil, nil })
	wantErr(t, err, ErrInvalidArgument)
	var denied *DeniedError
	if errors.As(err, &denied) {
		t.Fatal("a malformed call is an error, not a denial")
	}
}

package auraguard

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSavedStateStillCatchesADuplicateRefund(t *testing.T) {
	g := newGuard(t, Config{})
	refund := args("order_id", "A")
	recordOK(t, g, check(t, g, "refund", refund, WithTicket("T")), map[string]any{"refunded": true})
	state, err := g.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(state) {
		t.Fatalf("saved state is not JSON: %q", state)
	}

	// A new process: a fresh guard with the same key.
	restored := newGuard(t, Config{})
	if err := restored.LoadState(state); err != nil {
		t.Fatal(err)
	}
	d := check(t, restored, "refund", refund, WithTicket("T"))
	expect(t, d, Cache, "idempotent_replay")
	expect(t, check(t, restored, "refund", refund, WithTicket("T2")), Block, "side_effect_limit_exceeded")
	if s := stats(t, restored); s.ToolCallsExecuted != 1 {
		t.Fatalf("restored tool_calls_executed = %d, want 1", s.ToolCallsExecuted)
	}
}

func TestTamperedStateIsRefused(t *testing.T) {
	g := newGuard(t, Config{})
	recordOK(t, g, check(t, g, "refund", args("order_id", "A"), WithTicket("T")), nil)
	state, err := g.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(state, []byte(`"tool_calls_executed":1`)) {
		t.Fatalf("the test edits the executed count, which the state should hold: %s", state)
	}
	tampered := bytes.Replace(state, []byte(`"tool_calls_executed":1`), []byte(`"tool_calls_executed":0`), 1)

	fresh := newGuard(t, Config{})
	recordOK(t, fresh, check(t, fresh, "get_order", args("order_id", "1")), nil)
	wantErr(t, fresh.LoadState(tampered), ErrState)
	wantErr(t, fresh.LoadState([]byte("not a state")), ErrState)

	// Another key: the MAC does not verify either.
	other := newGuard(t, Config{SecretKey: "another-key"})
	wantErr(t, other.LoadState(state), ErrState)

	// The refused loads left the guard as it was.
	if s := stats(t, fresh); s.ToolCallsExecuted != 1 {
		t.Fatalf("tool_calls_executed = %d after refused loads, want 1", s.ToolCallsExecuted)
	}
}

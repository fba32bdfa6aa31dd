package auraguard

import (
	"errors"
	"testing"
)

const testKey = "test-secret-key"

// newGuard creates a guard for one test and closes it when the test ends.
func newGuard(t testing.TB, cfg Config) *Guard {
	t.Helper()
	if cfg.SecretKey == "" {
		cfg.SecretKey = testKey
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// check runs CheckTool and fails the test on an error.
func check(t testing.TB, g *Guard, tool string, args any, opts ...CallOption) Decision {
	t.Helper()
	d, err := g.CheckTool(tool, args, opts...)
	if err != nil {
		t.Fatalf("CheckTool(%s): %v", tool, err)
	}
	return d
}

// expect fails the test unless d has the given action and reason.
func expect(t testing.TB, d Decision, action Action, reason string) {
	t.Helper()
	if d.Action != action || d.Reason != reason {
		t.Fatalf("decision = %s (%s), want %s (%s)", d.Action, d.Reason, action, reason)
	}
}

// recordOK reports a successful call with the given payload.
func recordOK(t testing.TB, g *Guard, d Decision, payload any) {
	t.Helper()
	if err := g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}); err != nil {
		t.Fatalf("RecordResult: %v", err)
	}
}

// stats returns the guard's counters, failing the test on an error.
func stats(t testing.TB, g *Guard) Stats {
	t.Helper()
	s, err := g.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

// wantErr fails the test unless err matches target.
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %v", err, target)
	}
}

func args(kv ...string) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

package auraguard

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func sqliteConfig(path string) Config {
	return Config{
		SecretKey:                   "shared-key",
		SideEffectTools:             []string{"refund"},
		SideEffectMaxExecutedPerRun: Int(100),
		Ledger:                      SQLiteLedger(path),
		LedgerLeaseMs:               Int(60000),
		ToolPolicies:                map[string]ToolPolicy{"refund": {LeaseMs: Int(30000)}},
	}
}

var refundArgs = map[string]any{"order_id": "A-1", "amount": 50}

// Goroutines with a guard each, sharing one SQLite ledger, race on the same
// refund: exactly one is allowed; the executions are counted outside.
func TestSeparateGuardsOnSQLiteRaceOnOneRefund(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	const n = 8
	guards := make([]*Guard, n)
	for i := range guards {
		g, err := New(sqliteConfig(path))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		guards[i] = g
	}
	var executed sync.WaitGroup
	var mu sync.Mutex
	allows, reasons := 0, []string{}
	start := make(chan struct{})
	for _, g := range guards {
		executed.Add(1)
		go func(g *Guard) {
			defer executed.Done()
			<-start
			d, err := g.CheckTool("refund", refundArgs, WithTicket("T-1"))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			reasons = append(reasons, d.Reason)
			if d.Allowed() {
				allows++
				if d.LeaseMs == nil || *d.LeaseMs != 30000 {
					t.Errorf("the per-tool lease should be on the allow: %+v", d)
				}
			}
		}(g)
	}
	close(start)
	executed.Wait()
	if allows != 1 {
		t.Fatalf("%d allows, want exactly 1: %v", allows, reasons)
	}
	for _, r := range reasons {
		if r != "allow" && r != "side_effect_in_flight" {
			t.Fatalf("unexpected reason %q in %v", r, reasons)
		}
	}
}

func TestLedgerResolveIsSharedThroughTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	a, err := New(sqliteConfig(path))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	held, err := a.CheckTool("refund", refundArgs, WithTicket("T-2"))
	if err != nil || !held.Allowed() {
		t.Fatalf("%v %v", held, err)
	}
	b, err := New(sqliteConfig(path))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d, _ := b.CheckTool("refund", refundArgs, WithTicket("T-2"))
	if d.Reason != "side_effect_in_flight" || d.RetryAfterMs == nil {
		t.Fatalf("want in flight with a retry time, got %+v", d)
	}
	if err := b.LedgerResolve(held.IdempotencyKey, LedgerExecuted); err != nil {
		t.Fatal(err)
	}
	d, _ = a.CheckTool("refund", refundArgs, WithTicket("T-2"))
	if d.Action != Cache || d.Reason != "idempotent_replay" {
		t.Fatalf("the other guard follows the resolution: %+v", d)
	}
	if err := a.LedgerResolve(held.IdempotencyKey, LedgerNotExecuted); err != nil {
		t.Fatal(err)
	}
	if d, _ = b.CheckTool("refund", refundArgs, WithTicket("T-2")); !d.Allowed() {
		t.Fatalf("not executed: a retry may run, got %+v", d)
	}
	if err := a.LedgerResolve("not-a-key", LedgerExecuted); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a malformed key: %v", err)
	}
	if err := a.LedgerResolve(held.IdempotencyKey, LedgerOutcome(7)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("an unknown outcome: %v", err)
	}
}

func TestTypedLedgerConfigReachesTheEngine(t *testing.T) {
	cfg := sqliteConfig(filepath.Join(t.TempDir(), "ledger.db"))
	cfg.RunID = String("job-7")
	cfg.LedgerOnError = OnError(FailOpen)
	cfg.LedgerTTLSeconds = Int(3600)
	cfg.LedgerStorePayload = Bool(true)
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s, err := g.Stats()
	if err != nil || s.RunID != "job-7" {
		t.Fatalf("run id: %+v %v", s, err)
	}
	bad := sqliteConfig("/nonexistent-auraguard-dir/ledger.db")
	if _, err := New(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("an unopenable store is a config error: %v", err)
	}
	bad = sqliteConfig("x.db")
	bad.LedgerOnError = OnError("ignore")
	if _, err := New(bad); !errors.Is(err, ErrConfig) {
		t.Fatalf("a bad ledger_on_error: %v", err)
	}
}

package auraguard

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestUnknownConfigKeyIsNamed(t *testing.T) {
	_, err := NewFromJSON([]byte(`{"secret_key": "k", "max_calls_per_tol": 3}`))
	wantErr(t, err, ErrConfig)
	if !strings.Contains(err.Error(), "max_calls_per_tol") {
		t.Fatalf("the error names the key: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusConfig || e.Status.String() != "AURAGUARD_ERR_CONFIG" {
		t.Fatalf("error = %#v", err)
	}
}

func TestBadConfigurationsAreRejected(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		key  string
	}{
		{"no key", Config{}, "secret_key"},
		{"out of range", Config{SecretKey: "k", ArgJitterSimilarityThreshold: Float(1.5)}, "arg_jitter_similarity_threshold"},
		{"below minimum", Config{SecretKey: "k", MaxPendingCalls: Int(0)}, "max_pending_calls"},
		{"bad policy", Config{SecretKey: "k", ToolPolicies: map[string]ToolPolicy{"t": {Access: "maybe"}}}, "tool_policies.t.access"},
	} {
		_, err := New(c.cfg)
		wantErr(t, err, ErrConfig)
		if !strings.Contains(err.Error(), c.key) {
			t.Fatalf("%s: the error does not name %s: %v", c.name, c.key, err)
		}
	}
	_, err := NewFromJSON([]byte(`[1, 2]`))
	wantErr(t, err, ErrConfig)
	_, err = NewFromJSON([]byte("{\"secret_key\": \"k\x00\"}"))
	wantErr(t, err, ErrInvalidArgument)
}

func TestConfigLeavesUnsetFieldsOut(t *testing.T) {
	raw, err := json.Marshal(Config{
		SecretKey:       "k",
		MaxCallsPerTool: Int(2),
		SideEffectTools: []string{},
		CostModel:       &CostModel{DefaultToolCallCost: Float(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"secret_key":         "k",
		"max_calls_per_tool": 2.0,
		"side_effect_tools":  []any{},
		"cost_model":         map[string]any{"default_tool_call_cost": 0.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config JSON = %s", raw)
	}
}

// Every Config field maps to a key the engine knows: setting all of them
// to valid values is accepted.
func TestEveryConfigFieldIsAKnownKey(t *testing.T) {
	cfg := Config{
		SecretKey: "k", ToolLoopWindow: Int(12), RepeatToolcallThreshold: Int(3),
		ArgJitterSimilarityThreshold: Float(0.6), ArgJitterRepeatThreshold: Int(3), MaxCallsPerTool: Int(10),
		SequenceRepeatThreshold: Int(3), MaxSequenceLength: Int(4), SequenceDetectionEnabled: Bool(true),
		ErrorRetryThreshold: Int(2), QuarantineErrorCodes: []string{"429"},
		SideEffectMaxExecutedPerRun: Int(1), SideEffectTools: []string{"refund"},
		NoStateChangeThreshold: Int(4), StallTextSimilarityThreshold: Float(0.92), StallPatternThreshold: Float(0.6),
		StallPatternStreakThreshold: Int(2), StallRewriteMaxAttempts: Int(1),
		MaxCostPerRun: Float(5), CostWarningThreshold: Float(0.8),
		CostModel: &CostModel{DefaultToolCallCost: Float(0.04), ToolCostByName: map[string]float64{"x": 1},
			InputTokenCostPer1K: Float(0.003), OutputTokenCostPer1K: Float(0.015)},
		QueryArgKeysByTool: map[string][]string{"search_kb": {"query"}}, NeverCacheTools: []string{"now"},
		CacheTTLSeconds: Float(60), ArgIgnoreKeys: map[string][]string{"search_kb": {"trace_id"}},
		MaxCacheEntries: Int(100), MaxUniqueCallsTracked: Int(100), MaxCostEvents: Int(100),
		ToolPolicies: map[string]ToolPolicy{"t": {Access: AccessHuman, MaxCalls: Int(2), Risk: "high",
			RequireArgs: []string{"id"}, DenyReason: "no", LeaseMs: Int(5000)}},
		MaxPendingCalls: Int(2), ShadowMode: Bool(false), StrictMode: Bool(true),
		MaxJSONBytes: Int(1 << 20), MaxTextBytes: Int(1 << 18), MaxInterventionLog: Int(100),
		MaxLedgerEntries: Int(1000), MaxToolsTracked: Int(100),
		RunID: String("run-1"), Ledger: MemoryLedger(), LedgerLeaseMs: Int(60000), LedgerTTLSeconds: Int(3600),
		LedgerOnError: OnError(FailClosed), LedgerStorePayload: Bool(false),
		SameResultThreshold: Int(3), PollTools: []string{"get_job_status"}, QuarantineCooldownS: Float(30),
		QuarantineCooldownCalls: Int(5), WarnBeforeEnforce: WarnableDetectors, SequenceGapTolerance: Int(1),
		MaxModelCalls: Int(10), MaxTokensPerRun: Int(10000), MaxToolCallsPerRun: Int(20), MaxRunSeconds: Float(60),
		MultilingualText: Bool(true), StallPhrases: &StallPhrases{Apology: []string{"mea culpa"}},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	json.Unmarshal(raw, &keys)
	// Every field but those for the binding itself (json:"-") is a key.
	n, typ := 0, reflect.TypeOf(cfg)
	for i := 0; i < typ.NumField(); i++ {
		if typ.Field(i).Tag.Get("json") != "-" {
			n++
		}
	}
	if len(keys) != n {
		t.Fatalf("%d keys written for %d fields: %s", len(keys), n, raw)
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
}

func TestTypedConfigChangesBehaviour(t *testing.T) {
	// By default the third identical failing read is refused...
	repeat := func(g *Guard) Decision {
		var d Decision
		for i := 0; i < 3; i++ {
			d = check(t, g, "get_invoice", args("id", "9"))
			if d.Allowed() {
				g.RecordResult(Result{OK: false, ErrorCode: "404", CallID: d.CallID})
			}
		}
		return d
	}
	expect(t, repeat(newGuard(t, Config{})), Block, "identical_toolcall_loop")
	// ...and with a higher threshold it is allowed.
	expect(t, repeat(newGuard(t, Config{RepeatToolcallThreshold: Int(5)})), Allow, "allow")

	// An empty side-effect list really is empty: refund is a plain read then.
	g := newGuard(t, Config{SideEffectTools: []string{}})
	if d := check(t, g, "refund", args("order_id", "A")); d.IdempotencyKey != "" {
		t.Fatalf("refund treated as a side effect with SideEffectTools empty: %+v", d)
	}
}

func TestMalformedInputsAreInvalidArguments(t *testing.T) {
	g := newGuard(t, Config{})
	_, err := g.CheckTool("get_order", json.RawMessage(`[1]`))
	wantErr(t, err, ErrInvalidArgument)
	_, err = g.CheckTool("get\x00order", nil)
	wantErr(t, err, ErrInvalidArgument)
	_, err = g.CheckTool("get_order", map[string]any{"f": func() {}})
	wantErr(t, err, ErrInvalidArgument)
	_, err = g.CheckOutput("a\x00b")
	wantErr(t, err, ErrInvalidArgument)
	// Nil arguments are an empty object.
	expect(t, check(t, g, "list_orders", nil), Allow, "allow")
}

func TestOptInDetectionThroughTypedConfig(t *testing.T) {
	// A run limit: the second call is escalated, with the limit named.
	g := newGuard(t, Config{MaxToolCallsPerRun: Int(1)})
	if d := check(t, g, "get_order", args("order_id", "1")); d.Allowed() {
		g.RecordResult(Result{OK: true, CallID: d.CallID})
	}
	d := check(t, g, "get_order", args("order_id", "2"))
	expect(t, d, Escalate, "tool_call_limit_exceeded")
	if p := d.EscalationPacket; p == nil || p.LimitKey != "max_tool_calls_per_run" || p.Used == nil || *p.Used != 2 {
		t.Fatalf("packet = %+v", d.EscalationPacket)
	}
	// The warning step: the call over the cap runs once, warned.
	g = newGuard(t, Config{MaxCallsPerTool: Int(1), WarnBeforeEnforce: []string{"max_calls_per_tool"}})
	for i, want := range []Action{Allow, Allow, Rewrite} {
		d := check(t, g, "get_order", args("order_id", string(rune('a'+i))))
		if d.Action != want {
			t.Fatalf("call %d: %+v", i, d)
		}
		if (i == 1) != (d.Warning != nil) {
			t.Fatalf("call %d warning = %+v", i, d.Warning)
		}
		if d.Allowed() {
			g.RecordResult(Result{OK: true, CallID: d.CallID})
		}
	}
	// A detector name that cannot warn is refused, naming the key.
	_, err := New(Config{SecretKey: "k", WarnBeforeEnforce: []string{"stall"}})
	wantErr(t, err, ErrConfig)
	if !strings.Contains(err.Error(), "warn_before_enforce") {
		t.Fatalf("error = %v", err)
	}
}

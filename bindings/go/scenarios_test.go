package auraguard

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDoubleRefundIsReplayedThenBlocked(t *testing.T) {
	g := newGuard(t, Config{})
	refund := args("order_id", "A", "amount", "30")

	first := check(t, g, "refund", refund, WithTicket("T"))
	expect(t, first, Allow, "allow")
	if first.CallID == nil {
		t.Fatal("an allowed call carries a call id")
	}
	if len(first.IdempotencyKey) != 32 {
		t.Fatalf("idempotency key = %q, want 32 hex characters", first.IdempotencyKey)
	}
	recordOK(t, g, first, map[string]any{"refunded": 30})

	again := check(t, g, "refund", refund, WithTicket("T"))
	expect(t, again, Cache, "idempotent_replay")
	if again.CachedResult == nil || !again.CachedResult.Cached {
		t.Fatalf("replay has no cached result: %+v", again.CachedResult)
	}

	other := check(t, g, "refund", refund, WithTicket("T-other"))
	expect(t, other, Block, "side_effect_limit_exceeded")
	if s := stats(t, g); s.ToolCallsExecuted != 1 {
		t.Fatalf("refunds executed = %d, want 1", s.ToolCallsExecuted)
	}
}

func TestExplicitSideEffectOverridesTheConfiguration(t *testing.T) {
	g := newGuard(t, Config{})
	a := args("to", "ops", "text", "restart")
	d := check(t, g, "page_oncall", a, WithSideEffect(true))
	expect(t, d, Allow, "allow")
	if d.IdempotencyKey == "" {
		t.Fatal("a call marked as a side effect gets an idempotency key")
	}
	recordOK(t, g, d, nil)
	expect(t, check(t, g, "page_oncall", a, WithSideEffect(true), WithTicket("T-9")), Block, "side_effect_limit_exceeded")

	// And the other way: a configured side-effect tool declared harmless.
	d = check(t, g, "refund", args("order_id", "B"), WithSideEffect(false))
	if d.IdempotencyKey != "" {
		t.Fatalf("a call marked as no side effect has idempotency key %q", d.IdempotencyKey)
	}
}

func TestJitterLoopRewritesThenQuarantines(t *testing.T) {
	g := newGuard(t, Config{})
	queries := []string{"refund policy", "refund policy EU", "refund policy EU Germany"}
	for _, q := range queries {
		d := check(t, g, "search_kb", args("query", q))
		expect(t, d, Allow, "allow")
		recordOK(t, g, d, map[string]any{"hits": []string{q}})
	}
	d := check(t, g, "search_kb", args("query", "refund policy Germany 2024"))
	expect(t, d, Rewrite, "arg_jitter_loop")
	if d.InjectedSystem == "" {
		t.Fatal("a rewrite carries the text to inject")
	}
	expect(t, check(t, g, "search_kb", args("query", "shipping times")), Rewrite, "tool_quarantined:arg_jitter_loop")
	if why := stats(t, g).QuarantinedTools["search_kb"]; why != "arg_jitter_loop" {
		t.Fatalf("quarantined_tools[search_kb] = %q", why)
	}
}

func TestIdenticalRepeatsAreCachedOrBlocked(t *testing.T) {
	g := newGuard(t, Config{})
	for i := 0; i < 2; i++ {
		d := check(t, g, "get_order", args("order_id", "A1"))
		expect(t, d, Allow, "allow")
		recordOK(t, g, d, map[string]any{"status": "shipped"})
	}
	d := check(t, g, "get_order", args("order_id", "A1"))
	expect(t, d, Cache, "identical_toolcall_loop_cache")
	var payload map[string]string
	if err := json.Unmarshal(d.CachedResult.Payload, &payload); err != nil || payload["status"] != "shipped" {
		t.Fatalf("cached payload = %s (%v)", d.CachedResult.Payload, err)
	}

	// Never recorded ok: nothing to reuse, so the third call is refused.
	for i := 0; i < 2; i++ {
		check(t, g, "get_invoice", args("id", "9"))
		if err := g.RecordResult(Result{OK: false, ErrorCode: "404"}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, check(t, g, "get_invoice", args("id", "9")), Block, "identical_toolcall_loop")
}

func TestPerToolCap(t *testing.T) {
	g := newGuard(t, Config{MaxCallsPerTool: Int(2)})
	for i, id := range []string{"1", "2"} {
		d := check(t, g, "get_order", args("order_id", id))
		expect(t, d, Allow, "allow")
		recordOK(t, g, d, i)
	}
	expect(t, check(t, g, "get_order", args("order_id", "3")), Rewrite, "max_calls_per_tool")
	expect(t, check(t, g, "get_customer", args("id", "3")), Allow, "allow")
}

func TestBudgetEscalates(t *testing.T) {
	g := newGuard(t, Config{MaxCostPerRun: Float(0.10)})
	for _, id := range []string{"1", "2"} {
		d := check(t, g, "get_order", args("order_id", id))
		expect(t, d, Allow, "allow")
		recordOK(t, g, d, id)
	}
	d := check(t, g, "get_order", args("order_id", "3"))
	expect(t, d, Escalate, "cost_budget_exceeded")
	p := d.EscalationPacket
	if p == nil || len(p.Tags) != 1 || p.Tags[0] != "budget_exceeded" {
		t.Fatalf("escalation packet = %+v, want tags [budget_exceeded]", p)
	}
	if p.ProjectedCost == nil || *p.ProjectedCost < 0.10 {
		t.Fatalf("projected cost = %v, want >= the 0.10 limit", p.ProjectedCost)
	}
	s := stats(t, g)
	if s.CostLimitUSD == nil || *s.CostLimitUSD != 0.10 || s.Escalations != 1 {
		t.Fatalf("stats: limit %v, escalations %d", s.CostLimitUSD, s.Escalations)
	}
}

func TestRepeatedServerErrorsQuarantineTheTool(t *testing.T) {
	g := newGuard(t, Config{})
	for _, id := range []string{"1", "2"} {
		check(t, g, "get_order", args("order_id", id))
		if err := g.RecordResult(Result{OK: false, ErrorCode: "503"}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, check(t, g, "get_order", args("order_id", "3")), Rewrite, "tool_quarantined:error_retry:5xx")
	if s := stats(t, g); s.ToolCallsFailed != 2 {
		t.Fatalf("tool_calls_failed = %d, want 2", s.ToolCallsFailed)
	}
}

func TestStallIsRewrittenThenEscalatedOrFinalized(t *testing.T) {
	const stall = "I'm sorry for the delay, I'm still checking."
	cases := []struct {
		reply  string
		action Action
		reason string
	}{
		{`{"action":"escalate","reason":"need order id"}`, Escalate, "forced_escalate:need order id"},
		{`{"action":"finalize","reason":"answered","reply_draft":"Your order shipped."}`, Finalize, ""},
		{"Still looking into it.", Escalate, "stall_noncompliant_forced_outcome"},
	}
	for _, c := range cases {
		g := newGuard(t, Config{})
		if d, err := g.CheckOutput(stall); err != nil || d != nil {
			t.Fatalf("first stall message: %v, %v; want nothing to do", d, err)
		}
		d, err := g.CheckOutput(stall)
		if err != nil || d == nil {
			t.Fatalf("second stall message: %v, %v", d, err)
		}
		expect(t, *d, Rewrite, "no_state_change_loop")

		d, err = g.CheckOutput(c.reply)
		if err != nil || d == nil {
			t.Fatalf("reply %q: %v, %v", c.reply, d, err)
		}
		if d.Action != c.action || (c.reason != "" && d.Reason != c.reason) {
			t.Fatalf("reply %q: %s, want %s %s", c.reply, d, c.action, c.reason)
		}
		if c.action == Finalize && (d.FinalizedOutput == nil || d.FinalizedOutput.ReplyDraft != "Your order shipped.") {
			t.Fatalf("finalized output = %+v", d.FinalizedOutput)
		}
	}
}

func TestCheckOutputOfEmptyTextHasNothingToDo(t *testing.T) {
	g := newGuard(t, Config{})
	if d, err := g.CheckOutput(""); err != nil || d != nil {
		t.Fatalf("CheckOutput(\"\") = %v, %v", d, err)
	}
}

func TestShadowModeAllowsButCounts(t *testing.T) {
	g, err := New(Config{ShadowMode: Bool(true)}) // no key needed in shadow mode
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < 3; i++ {
		d := check(t, g, "get_invoice", args("id", "9"))
		if d.Action != Allow {
			t.Fatalf("shadow mode denied: %s", d)
		}
		if err := g.RecordResult(Result{OK: false, ErrorCode: "404", CallID: d.CallID}); err != nil {
			t.Fatal(err)
		}
		if i == 2 && d.Reason != "shadow_allow" {
			t.Fatalf("third repeat reason = %q, want shadow_allow", d.Reason)
		}
	}
	if s := stats(t, g); !s.ShadowMode || s.ShadowWouldDeny != 1 {
		t.Fatalf("shadow_mode %v, shadow_would_deny %d", s.ShadowMode, s.ShadowWouldDeny)
	}
}

func TestTokensAddToTheCost(t *testing.T) {
	g := newGuard(t, Config{})
	if err := g.RecordTokens(1000, 1000); err != nil { // 0.003 + 0.015
		t.Fatal(err)
	}
	if err := g.RecordTokenCost(10, 10, 0.5); err != nil {
		t.Fatal(err)
	}
	s := stats(t, g)
	if s.ReportedTokenCostUSD != 0.518 || s.CostSpentUSD != 0.518 {
		t.Fatalf("token cost %v, spent %v; want 0.518 both", s.ReportedTokenCostUSD, s.CostSpentUSD)
	}
	wantErr(t, g.RecordTokenCost(1, 1, -1), ErrInvalidArgument)
}

func TestReportShowsTheInterventions(t *testing.T) {
	g := newGuard(t, Config{MaxCallsPerTool: Int(1)})
	recordOK(t, g, check(t, g, "get_order", args("order_id", "1")), nil)
	check(t, g, "get_order", args("order_id", "2"))

	data, err := g.ReportData()
	if err != nil {
		t.Fatal(err)
	}
	if data.ByPrimitive["per_tool_cap"] != 1 || data.ByTool["get_order"] != 1 {
		t.Fatalf("by_primitive %v, by_tool %v", data.ByPrimitive, data.ByTool)
	}
	if len(data.TopReasons) != 1 || data.TopReasons[0] != (ReasonCount{"max_calls_per_tool", 1}) {
		t.Fatalf("top reasons = %+v", data.TopReasons)
	}
	if len(data.Interventions) != 1 || data.Interventions[0].Action != "rewrite" {
		t.Fatalf("interventions = %+v", data.Interventions)
	}
	text, err := g.Report()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "max_calls_per_tool") {
		t.Fatalf("text report does not name the reason:\n%s", text)
	}
}

func TestResetStartsANewRun(t *testing.T) {
	g := newGuard(t, Config{MaxCallsPerTool: Int(1)})
	recordOK(t, g, check(t, g, "get_order", args("order_id", "1")), nil)
	before := stats(t, g)
	if err := g.Reset(); err != nil {
		t.Fatal(err)
	}
	after := stats(t, g)
	if after.ToolCallsExecuted != 0 || after.RunID == before.RunID {
		t.Fatalf("after Reset: executed %d, run id %q (was %q)", after.ToolCallsExecuted, after.RunID, before.RunID)
	}
	expect(t, check(t, g, "get_order", args("order_id", "2")), Allow, "allow")
}

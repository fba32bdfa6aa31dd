package genkitguard

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/genkitguard/internal/script"
	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "genkitguard-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

type orderInput struct {
	OrderID string  `json:"order_id"`
	Amount  float64 `json:"amount,omitempty"`
}

// counter counts tool runs; Genkit runs a message's tool requests at once.
type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs[name]++
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[name]
}

// setup defines the support tools with no guard of their own: each test
// puts its guard into the generate call's context.
func setup(t *testing.T, m *script.Model) (*genkit.Genkit, ai.Model, []ai.ToolRef, *counter) {
	t.Helper()
	gk := genkit.Init(context.Background())
	c := &counter{runs: map[string]int{}}
	answer := func(name string, out any) ai.ToolFunc[map[string]any, any] {
		return func(_ *ai.ToolContext, _ map[string]any) (any, error) {
			c.add(name)
			return out, nil
		}
	}
	tools := []ai.ToolRef{
		DefineTool(gk, nil, "get_order", "Look an order up.", answer("get_order", map[string]any{"status": "delivered"})),
		DefineTool(gk, nil, "search_kb", "Search.", answer("search_kb", "Refunds within 30 days.")),
		DefineTool(gk, nil, "refund", "Refund.", answer("refund", map[string]any{"refund_id": "R-1"})),
		DefineTool(gk, nil, "delete_account", "Delete.", answer("delete_account", "deleted")),
	}
	return gk, m.Define(gk, "script/test"), tools, c
}

func generate(ctx context.Context, gk *genkit.Genkit, model ai.Model, tools []ai.ToolRef) (*ai.ModelResponse, error) {
	return genkit.Generate(ctx, gk, ai.WithModel(model), ai.WithTools(tools...),
		ai.WithPrompt("Where is my refund for order A1?"), ai.WithMaxTurns(20), ai.WithMiddleware(Middleware(nil)))
}

// toolOutputs are the tool responses the loop sent to the model, by ref.
func toolOutputs(m *script.Model) map[string]any {
	out := map[string]any{}
	for _, req := range m.Requests() {
		for _, msg := range req.Messages {
			for _, p := range msg.Content {
				if p.IsToolResponse() {
					out[p.ToolResponse.Ref] = p.ToolResponse.Output
				}
			}
		}
	}
	return out
}

func TestSupportAgentIsStoppedByTheGuard(t *testing.T) {
	m := &script.Model{Replies: script.SupportScript()}
	gk, model, tools, c := setup(t, m)
	ctx := NewContext(context.Background(), newGuard(t, auraguard.Config{}))
	var err error
	for turn := 0; turn < 6 && err == nil; turn++ {
		_, err = generate(ctx, gk, model, tools)
	}
	var stop *StopError
	if !errors.As(err, &stop) || stop.Decision.Action != auraguard.Escalate || !strings.HasPrefix(stop.Decision.Reason, "stall") {
		t.Fatalf("the run ended with %v", err)
	}
	if c.get("search_kb") != 2 || c.get("refund") != 1 || c.get("get_order") != 1 {
		t.Fatalf("runs = %v", c.runs)
	}
	outs := toolOutputs(m)
	if outs["c4_0"] != "Refunds within 30 days." {
		t.Fatalf("third search answered %v", outs["c4_0"])
	}
	if r, _ := outs["c6_0"].(map[string]any); r["refund_id"] != "R-1" {
		t.Fatalf("second refund answered %v", outs["c6_0"])
	}
}

func TestEscalationInterruptsTheGenerateCall(t *testing.T) {
	m := &script.Model{Replies: []*ai.Message{
		script.Call("c1", "get_order", map[string]any{"order_id": "A1"}, "refund", map[string]any{"order_id": "A1", "amount": 30}),
		script.Say("Done."),
	}}
	gk, model, tools, c := setup(t, m)
	g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(2), ToolPolicies: map[string]auraguard.ToolPolicy{
		"refund": {Access: auraguard.AccessHuman, Risk: "high"}}})
	resp, err := generate(NewContext(context.Background(), g), gk, model, tools)
	if err != nil {
		t.Fatal(err)
	}
	stop := Stopped(resp)
	if resp.FinishReason != ai.FinishReasonInterrupted || stop == nil || stop.Tool != "refund" ||
		stop.Decision.Reason != "policy_human_approval_required" || c.get("refund") != 0 {
		t.Fatalf("finish %s, stop %+v, refund ran %d times", resp.FinishReason, stop, c.get("refund"))
	}
}

func TestDenialIsTheToolOutputAndTheLoopGoesOn(t *testing.T) {
	m := &script.Model{Replies: []*ai.Message{
		script.Call("c1", "delete_account", map[string]any{"user": "u1"}),
		script.Say("I cannot delete accounts; a colleague will help you."),
	}}
	gk, model, tools, c := setup(t, m)
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"delete_account": {Access: auraguard.AccessDeny}}})
	resp, err := generate(NewContext(context.Background(), g), gk, model, tools)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := toolOutputs(m)["c1_0"].(string)
	if c.get("delete_account") != 0 || !strings.Contains(out, "policy_deny") || resp.Text() != "I cannot delete accounts; a colleague will help you." {
		t.Fatalf("output %q, reply %q", out, resp.Text())
	}
}

func TestOneGuardPerGenerateCall(t *testing.T) {
	// The same refund in two generate calls, each with its own guard: each
	// run may refund once.
	m := &script.Model{Replies: []*ai.Message{
		script.Call("a", "refund", map[string]any{"order_id": "A1", "amount": 30}), script.Say("Refunded."),
		script.Call("b", "refund", map[string]any{"order_id": "A1", "amount": 30}), script.Say("Refunded."),
	}}
	gk, model, tools, c := setup(t, m)
	for i := 0; i < 2; i++ {
		if _, err := generate(NewContext(context.Background(), newGuard(t, auraguard.Config{})), gk, model, tools); err != nil {
			t.Fatal(err)
		}
	}
	if c.get("refund") != 2 {
		t.Fatalf("refund ran %d times with a guard per call", c.get("refund"))
	}
	// Without a guard anywhere the tool refuses to run unguarded.
	m2 := &script.Model{Replies: []*ai.Message{script.Call("x", "refund", map[string]any{"order_id": "A1"})}}
	gk2, model2, tools2, c2 := setup(t, m2)
	_, err := genkit.Generate(context.Background(), gk2, ai.WithModel(model2), ai.WithTools(tools2...), ai.WithPrompt("hi"))
	if err == nil || !strings.Contains(err.Error(), "no guard") || c2.get("refund") != 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestForcedFinishFromTheModel(t *testing.T) {
	stall := "I'm sorry for the delay, I'm still checking."
	m := &script.Model{Replies: []*ai.Message{script.Say(stall), script.Say(stall), script.Say(stall), script.Say(stall)},
		Comply: script.Say(`{"action": "finalize", "reason": "answered", "reply_draft": "Your refund is on its way."}`)}
	gk, model, tools, _ := setup(t, m)
	ctx := NewContext(context.Background(), newGuard(t, auraguard.Config{}))
	var err error
	for turn := 0; turn < 4 && err == nil; turn++ {
		_, err = generate(ctx, gk, model, tools)
	}
	var stop *StopError
	if !errors.As(err, &stop) || stop.Decision.Action != auraguard.Finalize ||
		stop.Decision.FinalizedOutput.ReplyDraft != "Your refund is on its way." {
		t.Fatalf("err = %v", err)
	}
}

func TestArguments(t *testing.T) {
	if raw, err := Arguments(orderInput{OrderID: "A1"}); err != nil || string(raw) != `{"order_id":"A1"}` {
		t.Fatalf("%s, %v", raw, err)
	}
	if raw, err := Arguments("2 + 2"); err != nil || string(raw) != `{"input":"2 + 2"}` {
		t.Fatalf("%s, %v", raw, err)
	}
	if _, err := Arguments(func() {}); err == nil {
		t.Fatal("a function is no JSON")
	}
}

package einoguard

import (
	"context"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/einoguard/internal/script"
	"github.com/cloudwego/eino/adk"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
)

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "einoguard-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// runAgent drives a real ChatModelAgent through a Runner for up to turns
// customer messages, until the guard stops it; it returns the stop and the
// tool messages the agent produced.
func runAgent(t *testing.T, g *auraguard.Guard, model *script.Model, turns int, tools ...tool.BaseTool) (*StopError, []*schema.Message) {
	t.Helper()
	ctx := context.Background()
	agent, err := adk.NewChatModelAgent(ctx, &adk.ChatModelAgentConfig{
		Name: "support", Description: "support agent", Instruction: "Help the customer.",
		Model:       Model(g, model),
		ToolsConfig: adk.ToolsConfig{ToolsNodeConfig: compose.ToolsNodeConfig{Tools: tools}},
		Middlewares: []adk.AgentMiddleware{AgentMiddleware(g)},
	})
	if err != nil {
		t.Fatal(err)
	}
	runner := adk.NewRunner(ctx, adk.RunnerConfig{Agent: agent})
	var toolMsgs []*schema.Message
	for turn := 0; turn < turns; turn++ {
		events := runner.Query(ctx, "Where is my refund for order A1?")
		for {
			ev, ok := events.Next()
			if !ok {
				break
			}
			if stop := Stopped(ev); stop != nil {
				return stop, toolMsgs
			}
			if ev.Err != nil {
				t.Fatalf("turn %d: %v", turn, ev.Err)
			}
			if ev.Output != nil && ev.Output.MessageOutput != nil {
				if m := ev.Output.MessageOutput.Message; m != nil && m.Role == schema.Tool {
					toolMsgs = append(toolMsgs, m)
				}
			}
		}
	}
	return nil, toolMsgs
}

func TestSupportAgentIsStoppedByTheGuard(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	order := &script.Tool{Name: "get_order", Answer: `{"status":"delivered"}`}
	search := &script.Tool{Name: "search_kb", Answer: "Refunds within 30 days."}
	refund := &script.Tool{Name: "refund", Answer: `{"refund_id":"R-1"}`}
	model := script.New(script.SupportScript()...)
	stop, toolMsgs := runAgent(t, g, model, 6, order, search, refund)
	if stop == nil || stop.Decision.Action != auraguard.Escalate || !strings.HasPrefix(stop.Decision.Reason, "stall") {
		t.Fatalf("stop = %+v", stop)
	}
	if search.Runs() != 2 || refund.Runs() != 1 || order.Runs() != 1 {
		t.Fatalf("runs: search %d, refund %d, order %d", search.Runs(), refund.Runs(), order.Runs())
	}
	// The third search and the second refund were answered with the first
	// results.
	byID := map[string]string{}
	for _, m := range toolMsgs {
		byID[m.ToolCallID] = m.Content
	}
	if byID["c4_0"] != "Refunds within 30 days." || byID["c6_0"] != `{"refund_id":"R-1"}` {
		t.Fatalf("tool messages = %v", byID)
	}
	sawInstruction := false
	for _, req := range model.Requests() {
		if last := req[len(req)-1]; last.Role == schema.System {
			sawInstruction = true
		}
	}
	if !sawInstruction {
		t.Fatal("the model was never asked again with the guard's instruction")
	}
}

func TestEscalatedToolInterruptsTheAgent(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"refund": {Access: auraguard.AccessHuman, Risk: "high"}}})
	refund := &script.Tool{Name: "refund", Answer: "ok"}
	stop, _ := runAgent(t, g, script.New(script.Call("c1", "refund", `{"order_id":"A1","amount":30}`), script.Say("Done.")), 1, refund)
	if stop == nil || stop.Tool != "refund" || stop.CallID != "c1_0" || stop.Decision.Reason != "policy_human_approval_required" ||
		stop.Decision.EscalationPacket == nil || refund.Runs() != 0 {
		t.Fatalf("stop = %+v, runs %d", stop, refund.Runs())
	}
}

func TestForcedFinishFromTheModel(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	stall := "I'm sorry for the delay, I'm still checking."
	model := script.New(script.Say(stall), script.Say(stall), script.Say(stall), script.Say(stall))
	model.Comply = script.Say(`{"action": "finalize", "reason": "answered", "reply_draft": "Your refund is on its way."}`)
	stop, _ := runAgent(t, g, model, 4)
	if stop == nil || stop.Decision.Action != auraguard.Finalize || stop.Decision.FinalizedOutput.ReplyDraft != "Your refund is on its way." {
		t.Fatalf("stop = %+v", stop)
	}
}

// toolsNode is a real ToolsNode with the middleware; calls run in parallel.
func toolsNode(t *testing.T, g *auraguard.Guard, tools ...tool.BaseTool) *compose.ToolsNode {
	t.Helper()
	node, err := compose.NewToolNode(context.Background(), &compose.ToolsNodeConfig{
		Tools: tools, ToolCallMiddlewares: []compose.ToolMiddleware{ToolMiddleware(g)}})
	if err != nil {
		t.Fatal(err)
	}
	return node
}

func TestParallelCallsOfOneMessage(t *testing.T) {
	g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(4)})
	order := &script.Tool{Name: "get_order", Answer: "delivered"}
	refund := &script.Tool{Name: "refund", Answer: "refunded"}
	node := toolsNode(t, g, order, refund)
	msg := script.Call("p", "get_order", `{"order_id":"A1"}`, "refund", `{"order_id":"A1","amount":30}`,
		"refund", `{"order_id":"A1","amount":30}`, "get_order", `{"order_id":"A1"`)
	out, err := node.Invoke(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("%d tool messages for 4 calls", len(out))
	}
	for i, m := range out {
		if m.ToolCallID != msg.ToolCalls[i].ID {
			t.Fatalf("message %d answers %s, want %s", i, m.ToolCallID, msg.ToolCalls[i].ID)
		}
	}
	// The refunds ran at once: one was carried out; the other was told the
	// first one holds the key, or got its result replayed.
	if refund.Runs() != 1 {
		t.Fatalf("refund ran %d times", refund.Runs())
	}
	a, b := out[1].Content, out[2].Content
	if a == "refunded" {
		a, b = b, a
	}
	if b != "refunded" || (a != "refunded" && !strings.Contains(a, "side_effect_in_flight")) {
		t.Fatalf("refund replies %q / %q", out[1].Content, out[2].Content)
	}
	if out[0].Content != "delivered" || !strings.Contains(out[3].Content, "not valid JSON") || order.Runs() != 1 {
		t.Fatalf("replies %q / %q, get_order ran %d times", out[0].Content, out[3].Content, order.Runs())
	}
}

func TestDeniedCallIsAToolResult(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"delete_account": {Access: auraguard.AccessDeny}}})
	del := &script.Tool{Name: "delete_account", Answer: "deleted"}
	out, err := toolsNode(t, g, del).Invoke(context.Background(), script.Call("d", "delete_account", `{"user":"u1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if del.Runs() != 0 || !strings.Contains(out[0].Content, "policy_deny") {
		t.Fatalf("reply %q, runs %d", out[0].Content, del.Runs())
	}
}

func TestEscalationEndsAToolsNodeRun(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"refund": {Access: auraguard.AccessHuman}}})
	refund := &script.Tool{Name: "refund", Answer: "ok"}
	_, err := toolsNode(t, g, refund).Invoke(context.Background(), script.Call("r", "refund", `{"order_id":"A1"}`))
	stop := StopFromError(err)
	if stop == nil || stop.CallID != "r_0" || stop.Decision.Action != auraguard.Escalate || refund.Runs() != 0 {
		t.Fatalf("err = %v, stop = %+v", err, stop)
	}
	if StopFromError(nil) != nil || StopFromError(context.Canceled) != nil {
		t.Fatal("an error that is no stop was read as one")
	}
}

package langchainguard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/langchainguard/internal/script"
	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"
)

type countingTool struct {
	name, answer string
	runs         int
	inputs       []string
}

func (t *countingTool) Name() string        { return t.name }
func (t *countingTool) Description() string { return "the " + t.name + " tool" }
func (t *countingTool) Call(_ context.Context, input string) (string, error) {
	t.runs++
	t.inputs = append(t.inputs, input)
	return t.answer, nil
}

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "langchainguard-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// run drives a real functions agent and executor with the scripted model.
func run(t *testing.T, g *auraguard.Guard, model *script.Model, turns int, list ...tools.Tool) error {
	t.Helper()
	agent := agents.NewOpenAIFunctionsAgent(Model(g, model), Tools(g, list))
	executor := agents.NewExecutor(agent, agents.WithMaxIterations(20))
	// The customer asks again after each answer, as in a chat: a stall
	// shows across turns.
	var err error
	for turn := 0; turn < turns && err == nil; turn++ {
		_, err = executor.Call(context.Background(), map[string]any{"input": "Where is my refund for order A1?"})
	}
	return err
}

// observations are the tool results the agent sent back to the model, by call id.
func observations(m *script.Model) map[string]string {
	out := map[string]string{}
	for _, req := range m.Requests() {
		for _, msg := range req {
			for _, p := range msg.Parts {
				if r, ok := p.(llms.ToolCallResponse); ok {
					out[r.ToolCallID] = r.Content
				}
			}
		}
	}
	return out
}

func TestSupportAgentIsStoppedByTheGuard(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	order := &countingTool{name: "get_order", answer: `{"status":"delivered"}`}
	search := &countingTool{name: "search_kb", answer: "Refunds within 30 days."}
	refund := &countingTool{name: "refund", answer: `{"refund_id":"R-1"}`}
	model := &script.Model{Replies: script.SupportScript()}
	err := run(t, g, model, 6, order, search, refund)

	var stop *StopError
	if !errors.As(err, &stop) || stop.Decision.Action != auraguard.Escalate ||
		!strings.HasPrefix(stop.Decision.Reason, "stall") || stop.Tool != "" {
		t.Fatalf("the run ended with %v, want an escalation for stalling", err)
	}
	if search.runs != 2 || refund.runs != 1 || order.runs != 1 {
		t.Fatalf("runs: search %d, refund %d, order %d", search.runs, refund.runs, order.runs)
	}
	obs := observations(model)
	// The third identical search and the second refund were answered with
	// the first results, so the model saw no difference.
	if obs["call_4"] != "Refunds within 30 days." || obs["call_6"] != `{"refund_id":"R-1"}` {
		t.Fatalf("observations = %v", obs)
	}
	// The stall was first answered with the guard's instruction.
	rewritten := false
	for _, req := range model.Requests() {
		last := req[len(req)-1]
		if last.Role == llms.ChatMessageTypeSystem {
			rewritten = true
		}
	}
	if !rewritten {
		t.Fatal("the model was never asked again with the guard's instruction")
	}
}

func TestDeniedCallBecomesAnObservationAndTheAgentGoesOn(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"delete_account": {Access: auraguard.AccessDeny, DenyReason: "never_from_an_agent"}}})
	del := &countingTool{name: "delete_account", answer: "deleted"}
	model := &script.Model{Replies: []llms.ContentChoice{
		script.Call("call_1", "delete_account", `{"user":"u1"}`),
		script.Say("I cannot delete accounts; a colleague will help you."),
	}}
	err := run(t, g, model, 1, del)
	if err != nil {
		t.Fatal(err)
	}
	if del.runs != 0 || !strings.Contains(observations(model)["call_1"], "policy_deny:never_from_an_agent") {
		t.Fatalf("runs %d, observation %q", del.runs, observations(model)["call_1"])
	}
}

func TestEscalatedToolStopsTheExecutor(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"refund": {Access: auraguard.AccessHuman, Risk: "high"}}})
	refund := &countingTool{name: "refund", answer: "ok"}
	err := run(t, g, &script.Model{Replies: []llms.ContentChoice{
		script.Call("call_1", "refund", `{"order_id":"A1","amount":30}`),
		script.Say("Done."),
	}}, 1, refund)
	var stop *StopError
	if !errors.As(err, &stop) || stop.Tool != "refund" || stop.Decision.Reason != "policy_human_approval_required" ||
		stop.Decision.EscalationPacket == nil || refund.runs != 0 {
		t.Fatalf("err = %v, runs %d", err, refund.runs)
	}
}

func TestForcedFinishAfterARewrite(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	stall := "I'm sorry for the delay, I'm still checking."
	// The model stalls until the guard's instruction comes, then gives the
	// forced outcome it asks for.
	comply := script.Say(`{"action": "finalize", "reason": "refund done", "reply_draft": "Your refund is on its way."}`)
	err := run(t, g, &script.Model{Replies: []llms.ContentChoice{
		script.Say(stall), script.Say(stall), script.Say(stall), script.Say(stall), script.Say(stall),
	}, Comply: &comply}, 5)
	var stop *StopError
	if !errors.As(err, &stop) || stop.Decision.Action != auraguard.Finalize || stop.Decision.FinalizedOutput == nil ||
		stop.Decision.FinalizedOutput.ReplyDraft != "Your refund is on its way." {
		t.Fatalf("err = %v", err)
	}
}

func TestArgumentsOfATextInput(t *testing.T) {
	if got := string(Arguments(`{"order_id":"A1"}`)); got != `{"order_id":"A1"}` {
		t.Fatalf("object input = %s", got)
	}
	var m map[string]string
	if err := json.Unmarshal(Arguments("2 + 2"), &m); err != nil || m["input"] != "2 + 2" {
		t.Fatalf("text input = %v, %v", m, err)
	}
	if err := json.Unmarshal(Arguments(`{"broken"`), &m); err != nil || m["input"] != `{"broken"` {
		t.Fatalf("broken JSON input = %v, %v", m, err)
	}
}

package openaiguard

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

func load(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "fixtures", "providers", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s does not decode into the SDK's type: %v", name, err)
	}
}

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "openaiguard-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// tools echo the tool name and count their runs.
func tools(runs map[string]int) map[string]providers.ToolFunc {
	out := map[string]providers.ToolFunc{}
	for _, name := range []string{"get_order", "search_kb", "get_shipping", "refund"} {
		name := name
		out[name] = func(_ context.Context, args json.RawMessage) (any, error) {
			runs[name]++
			return map[string]any{"tool": name, "args": args}, nil
		}
	}
	return out
}

// asJSON is a parameter as the SDK sends it.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestChatTurnAnswersEachCallWithAToolMessage(t *testing.T) {
	var c openai.ChatCompletion
	load(t, "openai_chat_parallel.json", &c)
	runs := map[string]int{}
	turn, err := RunChatTurn(context.Background(), newGuard(t, auraguard.Config{}), &c, tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(turn.Messages) != 3 || runs["get_order"] != 1 || runs["search_kb"] != 1 || runs["get_shipping"] != 1 {
		t.Fatalf("%d messages, runs %v", len(turn.Messages), runs)
	}
	for i, m := range turn.Messages {
		got := asJSON(t, m)
		want := c.Choices[0].Message.ToolCalls[i].ID
		if got["role"] != "tool" || got["tool_call_id"] != want || !strings.Contains(got["content"].(string), c.Choices[0].Message.ToolCalls[i].Function.Name) {
			t.Fatalf("message %d = %v", i, got)
		}
	}
}

func TestChatDoubleRefundAndBrokenArguments(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	runs := map[string]int{}
	var repeat, malformed openai.ChatCompletion
	load(t, "openai_chat_repeat.json", &repeat)
	load(t, "openai_chat_malformed.json", &malformed)
	turn, err := RunChatTurn(context.Background(), g, &repeat, tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if runs["refund"] != 1 || turn.Calls[1].Decision.Reason != "idempotent_replay" || len(turn.Messages) != 2 {
		t.Fatalf("refund ran %d times; second = %+v", runs["refund"], turn.Calls[1].CallDecision)
	}
	turn, err = RunChatTurn(context.Background(), g, &malformed, tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := asJSON(t, turn.Messages[1])
	if runs["refund"] != 1 || bad["tool_call_id"] != "call_Fv1yG6oMb4zTq8cNs2wKh7jR" ||
		!strings.Contains(bad["content"].(string), "not valid JSON") {
		t.Fatalf("broken call answered %v", bad)
	}
}

func TestResponsesTurnAnswersEachCallWithAnOutputItem(t *testing.T) {
	var r responses.Response
	load(t, "openai_responses_parallel.json", &r)
	g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(3)})
	calls := ResponseCalls(&r)
	if len(calls) != 3 {
		t.Fatalf("%d calls: the reasoning item is no call", len(calls))
	}
	// The tools do not share state here, so they may run at once.
	turn, err := RunResponsesTurn(context.Background(), g, &r, map[string]providers.ToolFunc{
		"get_order":    func(context.Context, json.RawMessage) (any, error) { return "delivered", nil },
		"search_kb":    func(context.Context, json.RawMessage) (any, error) { return "30 days", nil },
		"get_shipping": func(context.Context, json.RawMessage) (any, error) { return "in transit", nil },
	}, providers.TurnOptions{Parallel: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"delivered", "30 days", "in transit"}
	for i, item := range turn.Items {
		got := asJSON(t, item)
		if got["type"] != "function_call_output" || got["call_id"] != calls[i].ID || got["output"] != want[i] {
			t.Fatalf("item %d = %v", i, got)
		}
	}
}

func TestRewriteTextAsDeveloperAndSystemMessages(t *testing.T) {
	var c openai.ChatCompletion
	var r responses.Response
	load(t, "openai_chat_text.json", &c)
	load(t, "openai_responses_text.json", &r)
	if ChatText(&c) != r.OutputText() || len(ChatCalls(&c)) != 0 || len(ResponseCalls(&r)) != 0 {
		t.Fatalf("texts %q / %q", ChatText(&c), r.OutputText())
	}
	g := newGuard(t, auraguard.Config{})
	var d *auraguard.Decision
	var err error
	for i := 0; i < 4 && d == nil; i++ {
		if d, err = g.CheckOutput(ChatText(&c)); err != nil {
			t.Fatal(err)
		}
	}
	if d == nil || d.Action != auraguard.Rewrite {
		t.Fatalf("decision = %+v", d)
	}
	if m := asJSON(t, SystemMessage(d.InjectedSystem)); m["role"] != "system" || m["content"] != d.InjectedSystem {
		t.Fatalf("system message = %v", m)
	}
	if m := asJSON(t, DeveloperMessage(d.InjectedSystem)); m["role"] != "developer" {
		t.Fatalf("developer message = %v", m)
	}
	if m := asJSON(t, DeveloperItem(d.InjectedSystem)); m["role"] != "developer" || m["content"] != d.InjectedSystem {
		t.Fatalf("developer item = %v", m)
	}
}

package anthropicguard

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
)

func load(t *testing.T, name string) *anthropic.Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "fixtures", "providers", name))
	if err != nil {
		t.Fatal(err)
	}
	var m anthropic.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s does not decode into anthropic.Message: %v", name, err)
	}
	return &m
}

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "anthropicguard-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func tools(runs map[string]int) map[string]providers.ToolFunc {
	out := map[string]providers.ToolFunc{}
	for _, name := range []string{"get_order", "search_kb", "get_shipping", "refund"} {
		name := name
		out[name] = func(_ context.Context, args json.RawMessage) (any, error) {
			runs[name]++
			return name + " done", nil
		}
	}
	return out
}

// blocks are the tool_result blocks of the turn's message, as sent.
func blocks(t *testing.T, turn Turn) []map[string]any {
	t.Helper()
	if turn.Message == nil {
		t.Fatal("no result message")
	}
	raw, err := json.Marshal(turn.Message)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Role    string           `json:"role"`
		Content []map[string]any `json:"content"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Role != "user" {
		t.Fatalf("message %s: %v", raw, err)
	}
	return m.Content
}

// text is a tool_result block's text, however the SDK encodes its content.
func text(b map[string]any) string {
	switch c := b["content"].(type) {
	case string:
		return c
	case []any:
		var s []string
		for _, part := range c {
			s = append(s, part.(map[string]any)["text"].(string))
		}
		return strings.Join(s, "")
	}
	return ""
}

func TestTurnAnswersEveryToolUseInOneUserMessage(t *testing.T) {
	m := load(t, "anthropic_messages_parallel.json")
	runs := map[string]int{}
	turn, err := RunTurn(context.Background(), newGuard(t, auraguard.Config{}), m, tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := blocks(t, turn)
	calls := Calls(m)
	if len(got) != 3 || len(calls) != 3 {
		t.Fatalf("%d blocks for %d calls", len(got), len(calls))
	}
	for i, b := range got {
		if b["type"] != "tool_result" || b["tool_use_id"] != calls[i].ID || text(b) != calls[i].Name+" done" || b["is_error"] == true {
			t.Fatalf("block %d = %v", i, b)
		}
	}
}

func TestDoubleRefundAndCutOffInput(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	runs := map[string]int{}
	turn, err := RunTurn(context.Background(), g, load(t, "anthropic_messages_repeat.json"), tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := blocks(t, turn)
	if runs["refund"] != 1 || len(got) != 2 || text(got[1]) != "refund done" || got[1]["tool_use_id"] != "toolu_01E45u54ua54pu553491pu5e" {
		t.Fatalf("refund ran %d times, blocks %v", runs["refund"], got)
	}
	turn, err = RunTurn(context.Background(), g, load(t, "anthropic_messages_malformed.json"), tools(runs), providers.TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got = blocks(t, turn)
	if runs["refund"] != 1 || got[1]["is_error"] != true || !strings.Contains(text(got[1]), "not valid JSON") {
		t.Fatalf("cut-off call answered %v", got[1])
	}
}

func TestTextAndSystemBlock(t *testing.T) {
	m := load(t, "anthropic_messages_text.json")
	if Text(m) != "I'm sorry for the delay, I'm still checking." || len(Calls(m)) != 0 {
		t.Fatalf("text %q", Text(m))
	}
	turn, err := RunTurn(context.Background(), newGuard(t, auraguard.Config{}), m, tools(map[string]int{}), providers.TurnOptions{})
	if err != nil || turn.Message != nil {
		t.Fatalf("a message without tool calls needs no reply: %+v, %v", turn.Message, err)
	}
	raw, _ := json.Marshal(SystemBlock("Stop apologising; act."))
	var b map[string]any
	json.Unmarshal(raw, &b)
	if b["type"] != "text" || b["text"] != "Stop apologising; act." {
		t.Fatalf("system block = %s", raw)
	}
}

package genkitguard_test

import (
	"context"
	"os"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/genkitguard/internal/script"
	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

// The README's snippet is example_test.go as it is, and it works: a model
// that refunds twice gets one refund, the second answered from the ledger.
func TestReadmeSnippet(t *testing.T) {
	snippet, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(snippet)+"```\n") {
		t.Fatal("README.md does not show bindings/go/genkitguard/example_test.go as it is")
	}
	guard, err := auraguard.New(auraguard.Config{SecretKey: "readme"})
	if err != nil {
		t.Fatal(err)
	}
	defer guard.Close()
	gk := genkit.Init(context.Background())
	model := (&script.Model{Replies: []*ai.Message{
		script.Call("c1", "refund", map[string]any{"order_id": "A1"}),
		script.Call("c2", "refund", map[string]any{"order_id": "A1"}),
		script.Say("Your refund is on its way."),
	}}).Define(gk, "script/readme")
	out, err := ask(context.Background(), gk, guard, model, "Refund order A1.")
	if err != nil || out != "Your refund is on its way." {
		t.Fatalf("ask = %q, %v", out, err)
	}
	stats, err := guard.Stats()
	if err != nil || stats.ToolCallsExecuted != 1 || stats.CacheHits != 1 {
		t.Fatalf("stats %+v, %v", stats, err)
	}
}

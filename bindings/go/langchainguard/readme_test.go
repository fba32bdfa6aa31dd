package langchainguard_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/auraguard/libauraguard/bindings/go/langchainguard/internal/script"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"
)

type refundTool struct{ runs int }

func (t *refundTool) Name() string        { return "refund" }
func (t *refundTool) Description() string { return "Refund an order." }
func (t *refundTool) Call(context.Context, string) (string, error) {
	t.runs++
	return "refund R-1 sent", nil
}

// The README's snippet is example_test.go as it is, and it works: a model
// that refunds twice gets one refund.
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
		t.Fatal("README.md does not show bindings/go/langchainguard/example_test.go as it is")
	}
	refund := &refundTool{}
	model := &script.Model{Replies: []llms.ContentChoice{
		script.Call("c1", "refund", `{"order_id":"A1"}`),
		script.Call("c2", "refund", `{"order_id":"A1"}`),
		script.Say("Your refund is on its way."),
	}}
	out, err := answer(context.Background(), model, []tools.Tool{refund}, "Refund order A1.")
	if err != nil || out != "Your refund is on its way." || refund.runs != 1 {
		t.Fatalf("answer = %q, %v; refund ran %d times", out, err, refund.runs)
	}
}

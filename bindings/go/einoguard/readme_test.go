package einoguard_test

import (
	"context"
	"os"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/einoguard"
	"github.com/auraguard/libauraguard/bindings/go/einoguard/internal/script"
	"github.com/cloudwego/eino/adk"
	"github.com/cloudwego/eino/components/tool"
)

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
		t.Fatal("README.md does not show bindings/go/einoguard/example_test.go as it is")
	}
	guard, err := auraguard.New(auraguard.Config{SecretKey: "readme"})
	if err != nil {
		t.Fatal(err)
	}
	defer guard.Close()
	ctx := context.Background()
	refund := &script.Tool{Name: "refund", Answer: "refund R-1 sent"}
	chat := script.New(script.Call("c1", "refund", `{"order_id":"A1"}`), script.Call("c2", "refund", `{"order_id":"A1"}`),
		script.Say("Your refund is on its way."))
	agent, err := supportAgent(ctx, guard, chat, []tool.BaseTool{refund})
	if err != nil {
		t.Fatal(err)
	}
	events := adk.NewRunner(ctx, adk.RunnerConfig{Agent: agent}).Query(ctx, "Refund order A1.")
	last := ""
	for {
		ev, ok := events.Next()
		if !ok {
			break
		}
		if ev.Err != nil || einoguard.Stopped(ev) != nil {
			t.Fatalf("event: %v", ev.Err)
		}
		if ev.Output != nil && ev.Output.MessageOutput != nil && ev.Output.MessageOutput.Message != nil {
			last = ev.Output.MessageOutput.Message.Content
		}
	}
	if last != "Your refund is on its way." || refund.Runs() != 1 || !strings.Contains(last, "on its way") {
		t.Fatalf("last %q, refund ran %d times", last, refund.Runs())
	}
}

// Command example runs a langchaingo functions agent whose model is
// scripted to loop, refund twice and stall, with its tools and its model
// guarded: the repeated search is answered from the cache, the second
// refund is not carried out, and the stalling ends in an escalation that
// stops the executor.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/langchainguard"
	"github.com/auraguard/libauraguard/bindings/go/langchainguard/internal/script"
	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/tools"
)

// supportTool is a real tool of the example; it counts its runs.
type supportTool struct {
	name, description, answer string
	runs                      int
}

func (t *supportTool) Name() string        { return t.name }
func (t *supportTool) Description() string { return t.description }
func (t *supportTool) Call(_ context.Context, input string) (string, error) {
	t.runs++
	fmt.Printf("  %s(%s)\n", t.name, input)
	return t.answer, nil
}

func main() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "langchaingo-example"})
	if err != nil {
		log.Fatal(err)
	}
	defer guard.Close()

	refund := &supportTool{name: "refund", description: "Refund an order.", answer: `{"refund_id":"R-1"}`}
	search := &supportTool{name: "search_kb", description: "Search the knowledge base.", answer: "Refunds within 30 days."}
	order := &supportTool{name: "get_order", description: "Look an order up.", answer: `{"status":"delivered"}`}
	model := &script.Model{Replies: script.SupportScript()}

	agent := agents.NewOpenAIFunctionsAgent(langchainguard.Model(guard, model),
		langchainguard.Tools(guard, []tools.Tool{order, search, refund}))
	executor := agents.NewExecutor(agent, agents.WithMaxIterations(20))

	// The customer asks again after each answer, as in a chat session.
	for turn := 1; turn <= 6 && err == nil; turn++ {
		var out map[string]any
		out, err = executor.Call(context.Background(), map[string]any{"input": "Where is my refund for order A1?"})
		if err == nil {
			fmt.Printf("turn %d: %v\n", turn, out["output"])
		}
	}
	var stop *langchainguard.StopError
	if !errors.As(err, &stop) {
		log.Fatalf("the agent was not stopped by the guard: %v", err)
	}
	fmt.Printf("search_kb ran %d times, refund ran %d time(s)\n", search.runs, refund.runs)
	fmt.Printf("stopped: %s (%s)\n", stop.Decision.Action, stop.Decision.Reason)
	if stop.Decision.EscalationPacket != nil {
		fmt.Printf("for a person: %s\n", stop.Decision.EscalationPacket.Summary)
	}
	if search.runs != 2 || refund.runs != 1 {
		os.Exit(1)
	}
}

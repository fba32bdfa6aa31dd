// Command example runs an Eino ChatModelAgent whose model is scripted to
// loop, refund twice and stall, with the guard as its tool middleware and
// around its model: the repeated search is answered from the cache, the
// second refund is not carried out, and the stalling ends in an escalation
// that stops the agent.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/einoguard"
	"github.com/auraguard/libauraguard/bindings/go/einoguard/internal/script"
	"github.com/cloudwego/eino/adk"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
)

func main() {
	ctx := context.Background()
	guard, err := auraguard.New(auraguard.Config{SecretKey: "eino-example"})
	if err != nil {
		log.Fatal(err)
	}
	defer guard.Close()

	order := &script.Tool{Name: "get_order", Answer: `{"status":"delivered"}`}
	search := &script.Tool{Name: "search_kb", Answer: "Refunds within 30 days."}
	refund := &script.Tool{Name: "refund", Answer: `{"refund_id":"R-1"}`}
	agent, err := adk.NewChatModelAgent(ctx, &adk.ChatModelAgentConfig{
		Name:        "support",
		Description: "answers customers about their orders",
		Instruction: "You are a customer-support agent.",
		Model:       einoguard.Model(guard, script.New(script.SupportScript()...)),
		ToolsConfig: adk.ToolsConfig{ToolsNodeConfig: compose.ToolsNodeConfig{
			Tools: []tool.BaseTool{order, search, refund},
		}},
		Middlewares: []adk.AgentMiddleware{einoguard.AgentMiddleware(guard)},
	})
	if err != nil {
		log.Fatal(err)
	}
	runner := adk.NewRunner(ctx, adk.RunnerConfig{Agent: agent})

	// The customer asks again after each answer, as in a chat session.
	var stop *einoguard.StopError
	for turn := 1; turn <= 6 && stop == nil; turn++ {
		events := runner.Query(ctx, "Where is my refund for order A1?")
		for {
			ev, ok := events.Next()
			if !ok {
				break
			}
			if stop = einoguard.Stopped(ev); stop != nil {
				break
			}
			if ev.Err != nil {
				log.Fatalf("turn %d: %v", turn, ev.Err)
			}
			if ev.Output != nil && ev.Output.MessageOutput != nil && ev.Output.MessageOutput.Message != nil {
				m := ev.Output.MessageOutput.Message
				fmt.Printf("turn %d %s: %s\n", turn, m.Role, m.Content)
			}
		}
	}
	if stop == nil {
		log.Fatal("the agent was not stopped by the guard")
	}
	fmt.Printf("search_kb ran %d times, refund ran %d time(s)\n", search.Runs(), refund.Runs())
	fmt.Printf("stopped: %s (%s)\n", stop.Decision.Action, stop.Decision.Reason)
	if search.Runs() != 2 || refund.Runs() != 1 {
		os.Exit(1)
	}
}

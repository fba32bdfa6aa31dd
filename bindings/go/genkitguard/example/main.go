// Command example runs a Genkit generate loop whose model is scripted to
// loop, refund twice and stall, with guarded tools and the guard's model
// middleware: the repeated search is answered from the cache, the second
// refund is not carried out, and the stalling ends in an escalation that
// stops the run.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/genkitguard"
	"github.com/auraguard/libauraguard/bindings/go/genkitguard/internal/script"
	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

type orderInput struct {
	OrderID string  `json:"order_id"`
	Amount  float64 `json:"amount,omitempty"`
}

type searchInput struct {
	Query string `json:"query"`
}

func main() {
	ctx := context.Background()
	gk := genkit.Init(ctx)
	guard, err := auraguard.New(auraguard.Config{SecretKey: "genkit-example"})
	if err != nil {
		log.Fatal(err)
	}
	defer guard.Close()

	runs := map[string]int{}
	tools := []ai.ToolRef{
		genkitguard.DefineTool(gk, guard, "get_order", "Look an order up.",
			func(_ *ai.ToolContext, in orderInput) (map[string]string, error) {
				runs["get_order"]++
				return map[string]string{"order_id": in.OrderID, "status": "delivered"}, nil
			}),
		genkitguard.DefineTool(gk, guard, "search_kb", "Search the knowledge base.",
			func(_ *ai.ToolContext, in searchInput) (string, error) {
				runs["search_kb"]++
				return "Refunds within 30 days.", nil
			}),
		genkitguard.DefineTool(gk, guard, "refund", "Refund an order.",
			func(_ *ai.ToolContext, in orderInput) (map[string]string, error) {
				runs["refund"]++
				return map[string]string{"refund_id": "R-1"}, nil
			}),
	}
	model := (&script.Model{Replies: script.SupportScript()}).Define(gk, "script/support")

	// The customer asks again after each answer, as in a chat session.
	var stop *genkitguard.StopError
	for turn := 1; turn <= 6 && stop == nil; turn++ {
		resp, err := genkit.Generate(ctx, gk, ai.WithModel(model), ai.WithTools(tools...),
			ai.WithPrompt("Where is my refund for order A1?"), ai.WithMaxTurns(20),
			ai.WithMiddleware(genkitguard.Middleware(guard)))
		switch {
		case errors.As(err, &stop):
		case err != nil:
			log.Fatalf("turn %d: %v", turn, err)
		case genkitguard.Stopped(resp) != nil:
			stop = genkitguard.Stopped(resp)
		default:
			fmt.Printf("turn %d: %s\n", turn, resp.Text())
		}
	}
	if stop == nil {
		log.Fatal("the run was not stopped by the guard")
	}
	fmt.Printf("search_kb ran %d times, refund ran %d time(s)\n", runs["search_kb"], runs["refund"])
	fmt.Printf("stopped: %s (%s)\n", stop.Decision.Action, stop.Decision.Reason)
	if runs["search_kb"] != 2 || runs["refund"] != 1 {
		os.Exit(1)
	}
}

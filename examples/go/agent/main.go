// Command agent runs a scripted customer-support agent under the guard: the
// "model" below replays the mistakes real models make (a search that keeps
// rephrasing itself, a refund issued twice, a flaky API, stalling replies)
// and the loop shows what the agent does with each decision.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// step is one model turn: a tool call, or a message to the customer.
type step struct {
	tool   string
	args   map[string]any
	ticket string
	reply  string
}

var script = []step{
	{tool: "get_order", args: map[string]any{"order_id": "A1"}, ticket: "T-1"},
	{tool: "search_kb", args: map[string]any{"query": "refund policy"}},
	{tool: "search_kb", args: map[string]any{"query": "refund policy EU"}},
	{tool: "search_kb", args: map[string]any{"query": "refund policy EU Germany"}},
	{tool: "search_kb", args: map[string]any{"query": "refund policy Germany 2024"}},
	{tool: "refund", args: map[string]any{"order_id": "A1", "amount": 30}, ticket: "T-1"},
	{tool: "refund", args: map[string]any{"order_id": "A1", "amount": 30}, ticket: "T-1"},
	{tool: "get_shipping", args: map[string]any{"order_id": "A1"}},
	{tool: "get_shipping", args: map[string]any{"order_id": "A1", "retry": 1}},
	{tool: "get_shipping", args: map[string]any{"order_id": "A1", "retry": 2}},
	{reply: "I'm sorry for the delay, I'm still checking."},
	{reply: "I'm sorry for the delay, I'm still checking."},
	{reply: "I'm sorry for the delay, I'm still checking."},
	{reply: `{"action": "finalize", "reason": "refund done", "reply_draft": "Your refund of 30 EUR is on its way."}`},
}

// errUnavailable is what the flaky shipping API answers: an HTTP 503, which
// Run records under its status so the guard quarantines the tool after
// repeated failures.
var errUnavailable = &auraguard.HTTPStatusError{StatusCode: 503, Status: "503 Service Unavailable"}

// execute stands in for the real tools.
func execute(_ context.Context, tool string, args map[string]any) (any, error) {
	switch tool {
	case "get_order":
		return map[string]any{"order_id": args["order_id"], "status": "delivered"}, nil
	case "search_kb":
		return []string{"Refunds within 30 days."}, nil
	case "refund":
		return map[string]any{"refund_id": "R-1"}, nil
	default:
		return nil, errUnavailable
	}
}

// show prints one turn of the run.
func show(turn int, what, detail string) {
	fmt.Printf("%2d  %-8s %s\n", turn, what, detail)
}

func main() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "example-secret", MaxCostPerRun: auraguard.Float(1.0)})
	if err != nil {
		log.Fatal(err)
	}
	defer guard.Close()

	ctx := context.Background()
	for i, s := range script {
		if s.tool == "" {
			d, err := guard.CheckOutput(s.reply)
			if err != nil {
				log.Fatal(err)
			}
			if d == nil {
				show(i, "say", fmt.Sprintf("%q", s.reply))
				continue
			}
			show(i, string(d.Action), d.Reason)
			if d.Action == auraguard.Finalize {
				show(i, "send", fmt.Sprintf("%q", d.FinalizedOutput.ReplyDraft))
				break
			}
			if d.Action == auraguard.Escalate {
				break
			}
			continue
		}

		ran := false
		out, err := guard.Run(ctx, s.tool, s.args, func(ctx context.Context) (any, error) {
			ran = true
			return execute(ctx, s.tool, s.args)
		}, auraguard.WithTicket(s.ticket))
		var denied *auraguard.DeniedError
		switch {
		case errors.As(err, &denied):
			// Block: tell the model. Rewrite: add the injected text to the
			// prompt. Escalate: hand the run to a person.
			show(i, string(denied.Decision.Action), s.tool+": "+denied.Decision.Reason)
			if denied.Decision.Action == auraguard.Escalate {
				return
			}
		case err != nil:
			show(i, "failed", fmt.Sprintf("%s: %v", s.tool, err))
		default:
			what := "ran"
			if !ran {
				what = "reused" // the guard answered from its cache; the tool did not run
			}
			show(i, what, fmt.Sprintf("%s -> %v", s.tool, out))
		}
	}

	report, err := guard.Report()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println()
	fmt.Print(report)
}

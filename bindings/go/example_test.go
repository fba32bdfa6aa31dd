package auraguard_test

import (
	"context"
	"errors"
	"fmt"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// The agent loop: ask before each tool call, execute only on Allow, report
// the result, and act on every other decision. Here the model keeps asking
// for the same order; the third time the guard answers from its cache.
func Example() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "example-key"})
	if err != nil {
		panic(err)
	}
	defer guard.Close()

	getOrder := func(id string) map[string]string { return map[string]string{"id": id, "status": "shipped"} }
	for turn := 1; turn <= 3; turn++ {
		args := map[string]any{"order_id": "A1"}
		d, err := guard.CheckTool("get_order", args, auraguard.WithTicket("T-1"))
		if err != nil {
			panic(err)
		}
		switch d.Action {
		case auraguard.Allow:
			out := getOrder("A1")
			if err := guard.RecordResult(auraguard.Result{OK: true, Payload: out, CallID: d.CallID}); err != nil {
				panic(err)
			}
			fmt.Println(turn, "executed")
		case auraguard.Cache:
			fmt.Println(turn, "reused", string(d.CachedResult.Payload))
		case auraguard.Rewrite:
			fmt.Println(turn, "tell the model:", d.Reason)
		default: // Block, Escalate, Finalize
			fmt.Println(turn, "stopped:", d.Action, d.Reason)
		}
	}
	stats, _ := guard.Stats()
	fmt.Println("executed:", stats.ToolCallsExecuted, "cache hits:", stats.CacheHits)
	// Output:
	// 1 executed
	// 2 executed
	// 3 reused {"id":"A1","status":"shipped"}
	// executed: 2 cache hits: 1
}

// Run checks, executes and records in one call. A refund already made for
// the ticket is not made again, and another ticket's refund of the same
// order is refused.
func ExampleGuard_Run() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "example-key"})
	if err != nil {
		panic(err)
	}
	defer guard.Close()

	refund := func(context.Context) (any, error) {
		fmt.Println("refunding order A")
		return "refund R-1 sent", nil
	}
	args := map[string]any{"order_id": "A", "amount": 30}
	for _, ticket := range []string{"T-1", "T-1", "T-2"} {
		out, err := guard.Run(context.Background(), "refund", args, refund, auraguard.WithTicket(ticket))
		var denied *auraguard.DeniedError
		switch {
		case errors.As(err, &denied):
			fmt.Println(ticket, "denied:", denied.Decision.Reason)
		case err != nil:
			panic(err)
		default:
			fmt.Println(ticket, "result:", out) // the same shape, fresh or replayed
		}
	}
	// Output:
	// refunding order A
	// T-1 result: refund R-1 sent
	// T-1 result: refund R-1 sent
	// T-2 denied: side_effect_limit_exceeded
}

// CheckOutput catches an assistant that keeps stalling instead of acting,
// and then reads the outcome the model was told to give.
func ExampleGuard_CheckOutput() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "example-key"})
	if err != nil {
		panic(err)
	}
	defer guard.Close()

	for _, reply := range []string{
		"I'm sorry for the delay, I'm still checking.",
		"I'm sorry for the delay, I'm still checking.",
		`{"action": "escalate", "reason": "need order id"}`,
	} {
		d, err := guard.CheckOutput(reply)
		switch {
		case err != nil:
			panic(err)
		case d == nil:
			fmt.Println("send it")
		default:
			fmt.Println(d.Action, d.Reason)
		}
	}
	// Output:
	// send it
	// rewrite no_state_change_loop
	// escalate forced_escalate:need order id
}

// Errors from the library match the package's sentinels.
func ExampleNewFromJSON() {
	_, err := auraguard.NewFromJSON([]byte(`{"secret_key": "k", "max_calls_per_tol": 3}`))
	fmt.Println(errors.Is(err, auraguard.ErrConfig))
	// Output:
	// true
}

package main

import (
	"context"
	"fmt"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

func main() {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "change-me"})
	if err != nil {
		panic(err)
	}
	defer guard.Close()
	refund := func(ctx context.Context) (string, error) { return "refund R-1 sent", nil } // the real tool call goes here
	for _, ticket := range []string{"T-1", "T-1", "T-2"} {                                // a retry, then another ticket
		out, err := auraguard.Run(context.Background(), guard, "refund", map[string]any{"order_id": "A1"}, refund,
			auraguard.WithTicket(ticket))
		fmt.Println(ticket, out, err) // executed, replayed from the cache, or a *DeniedError to tell the model
	}
}

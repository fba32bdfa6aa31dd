package auraguard

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEventsCarryNoRawArguments(t *testing.T) {
	g := newGuard(t, Config{MaxCallsPerTool: Int(1)})
	var events []Event
	if err := g.OnEvent(func(e Event) { events = append(events, e) }); err != nil {
		t.Fatal(err)
	}
	const secret = "4111-1111-1111-1111"
	d := check(t, g, "charge_card", args("card", secret), WithTicket("TICKET-"+secret))
	recordOK(t, g, d, map[string]any{"echo": secret})
	check(t, g, "charge_card", args("card", secret+"-2"))
	if _, err := g.CheckOutput("Here is your card " + secret); err != nil {
		t.Fatal(err)
	}

	var cost, intervention *Event
	for i := range events {
		e := &events[i]
		if strings.Contains(string(e.Raw), secret) {
			t.Fatalf("event leaks raw data: %s", e.Raw)
		}
		switch {
		case e.Type == "cost" && e.Kind == "tool_call":
			cost = e
		case e.Type == "intervention":
			intervention = e
		}
	}
	if cost == nil || cost.Tool != "charge_card" || cost.AmountUSD != 0.04 || cost.SpentUSD != 0.04 {
		t.Fatalf("tool_call cost event = %+v", cost)
	}
	if intervention == nil || intervention.Action != Rewrite || intervention.Reason != "max_calls_per_tool" ||
		len(intervention.ArgsSig) == 0 || intervention.RunID == "" {
		t.Fatalf("intervention event = %+v", intervention)
	}

	n := len(events)
	if err := g.OnEvent(nil); err != nil {
		t.Fatal(err)
	}
	check(t, g, "charge_card", args("card", "3"))
	if len(events) != n {
		t.Fatalf("events delivered after OnEvent(nil): %d", len(events)-n)
	}
}

func TestEventHandlerMayCallTheGuard(t *testing.T) {
	g := newGuard(t, Config{})
	var seen []uint64
	err := g.OnEvent(func(e Event) {
		s, err := g.Stats()
		if err != nil {
			t.Errorf("Stats inside a handler: %v", err)
			return
		}
		seen = append(seen, s.ToolCallsExecuted)
	})
	if err != nil {
		t.Fatal(err)
	}
	recordOK(t, g, check(t, g, "get_order", args("order_id", "1")), nil)
	if len(seen) != 1 || seen[0] != 1 {
		t.Fatalf("handler saw executed counts %v, want [1]", seen)
	}
}

func TestEventHandlerPanicSurfacesInTheCaller(t *testing.T) {
	g := newGuard(t, Config{})
	if err := g.OnEvent(func(Event) { panic("handler bug") }); err != nil {
		t.Fatal(err)
	}
	d := check(t, g, "get_order", args("order_id", "1"))
	func() {
		defer func() {
			if r := recover(); r != "handler bug" {
				t.Fatalf("recovered %v, want the handler's panic", r)
			}
		}()
		_ = g.RecordResult(Result{OK: true, CallID: d.CallID}) // emits a cost event
		t.Fatal("RecordResult returned instead of re-raising the panic")
	}()
	// The guard is intact: the result was recorded before the handler ran.
	if s := stats(t, g); s.ToolCallsExecuted != 1 {
		t.Fatalf("tool_calls_executed = %d, want 1", s.ToolCallsExecuted)
	}
}

// A handler's panic in Run surfaces once the call is recorded.
func TestEventHandlerPanicInRunSurfacesAfterTheRecord(t *testing.T) {
	g := newGuard(t, Config{})
	if err := g.OnEvent(func(Event) { panic("handler bug") }); err != nil {
		t.Fatal(err)
	}
	ran := 0
	func() {
		defer func() {
			if r := recover(); r != "handler bug" {
				t.Fatalf("recovered %v, want the handler's panic", r)
			}
		}()
		g.Run(bg, "get_order", args("order_id", "1"), func(context.Context) (any, error) { ran++; return 1, nil })
	}()
	if s := stats(t, g); ran != 1 || s.ToolCallsExecuted != 1 || s.PendingCalls != 0 {
		t.Fatalf("ran %d, executed %d, pending %d", ran, s.ToolCallsExecuted, s.PendingCalls)
	}
}

// Handlers run after the native call has returned, so one may replace the
// handler, and goroutines may subscribe and unsubscribe while others call:
// none of it waits on the library.
func TestSubscribingWhileEventsFlowNeverBlocks(t *testing.T) {
	g := newGuard(t, Config{Concurrency: Int(4)})
	var seen atomic.Int64
	var handler func(Event)
	handler = func(Event) {
		seen.Add(1)
		if err := g.OnEvent(handler); err != nil { // from inside a handler
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if w%2 == 0 {
					g.OnEvent(handler)
					g.OnEvent(nil)
				}
				g.Run(bg, "get_order", args("order_id", fmt.Sprint(w, i)), func(context.Context) (any, error) { return i, nil })
			}
		}(w)
	}
	wg.Wait()
	if err := g.OnEvent(handler); err != nil {
		t.Fatal(err)
	}
	before := seen.Load()
	recordOK(t, g, check(t, g, "get_order", args("order_id", "last")), nil)
	if seen.Load() != before+1 {
		t.Fatalf("after the churn a cost event reached the handler %d times, want 1", seen.Load()-before)
	}
}

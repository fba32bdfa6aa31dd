package auraguard

import (
	"fmt"
	"sync"
	"testing"
)

// Many goroutines share one guard; every decision each of them saw must add
// up to the guard's counters at the end.
func TestGoroutinesShareAGuard(t *testing.T) {
	const workers, calls = 32, 40
	// The window holds every call, so a worker's repeats are seen however
	// the goroutines interleave.
	g := newGuard(t, Config{
		MaxPendingCalls: Int(workers),
		ToolLoopWindow:  Int(workers * calls),
		ToolPolicies:    map[string]ToolPolicy{"close_account": {Access: AccessDeny}},
	})

	type tally struct{ allowed, cached, denied, failed uint64 }
	tallies := make([]tally, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			mine := &tallies[w]
			for i := 0; i < calls; i++ {
				// Each worker repeats a few reads of its own, so some calls
				// are cached, and now and then tries a forbidden tool.
				tool, a := "get_order", args("order_id", fmt.Sprintf("w%d-%d", w, i%5))
				if i%10 == 9 {
					tool = "close_account"
				}
				d, err := g.CheckTool(tool, a)
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				switch d.Action {
				case Allow:
					mine.allowed++
					ok := i%7 != 3
					if !ok {
						mine.failed++
					}
					r := Result{OK: ok, Payload: i, CallID: d.CallID}
					if !ok {
						r.ErrorCode = "404"
					}
					if err := g.RecordResult(r); err != nil {
						t.Errorf("worker %d: %v", w, err)
						return
					}
				case Cache:
					mine.cached++
				default:
					mine.denied++
				}
			}
		}(w)
	}
	wg.Wait()

	var sum tally
	for _, m := range tallies {
		sum.allowed += m.allowed
		sum.cached += m.cached
		sum.denied += m.denied
		sum.failed += m.failed
	}
	if sum.allowed+sum.cached+sum.denied != workers*calls {
		t.Fatalf("decisions seen: %+v, want %d in all", sum, workers*calls)
	}
	if sum.cached == 0 || sum.denied == 0 {
		t.Fatalf("the workload should produce cached and refused calls: %+v", sum)
	}
	s := stats(t, g)
	// Every decision but allow counts as denied, a cache hit included.
	if s.ToolCallsExecuted != sum.allowed || s.CacheHits != sum.cached || s.Blocks != sum.denied ||
		s.ToolCallsDenied != sum.cached+sum.denied || s.ToolCallsFailed != sum.failed {
		t.Fatalf("stats %+v do not match what the workers saw %+v", s, sum)
	}
	if s.PendingCalls != 0 || s.MissedResults != 0 {
		t.Fatalf("pending %d, missed %d", s.PendingCalls, s.MissedResults)
	}
}

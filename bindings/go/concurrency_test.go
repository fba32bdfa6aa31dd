package auraguard

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// N goroutines × M Run calls on one guard sized with Concurrency: every
// call that ran is in tool_calls_executed, none was pushed out.
func TestConcurrencyKeepsEveryRecord(t *testing.T) {
	const workers, calls = 8, 500
	g := newGuard(t, Config{Concurrency: Int(workers), MaxCallsPerTool: Int(workers * calls)})
	var ran atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				_, err := g.Run(context.Background(), "lookup", args("key", fmt.Sprintf("%d-%d", w, i)),
					func(context.Context) (any, error) { ran.Add(1); return i, nil })
				if err != nil {
					t.Errorf("worker %d call %d: %v", w, i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	s := stats(t, g)
	if ran.Load() != workers*calls || s.ToolCallsExecuted != workers*calls || s.MissedResults != 0 {
		t.Fatalf("ran %d, tool_calls_executed %d, missed %d; want %d, %d, 0",
			ran.Load(), s.ToolCallsExecuted, s.MissedResults, workers*calls, workers*calls)
	}
}

// Beyond its concurrency a guard refuses a Run before checking it, rather
// than losing the record of a call in flight.
func TestRunBeyondTheConcurrencyIsRefused(t *testing.T) {
	g := newGuard(t, Config{})
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := g.Run(context.Background(), "slow", nil, func(context.Context) (any, error) {
			close(inside)
			<-release
			return "ok", nil
		})
		done <- err
	}()
	<-inside
	_, err := g.Run(context.Background(), "other", nil, func(context.Context) (any, error) {
		t.Fatal("a refused Run must not execute")
		return nil, nil
	})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "Concurrency") {
		t.Fatalf("err = %v, want ErrBusy naming the setting", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := stats(t, g); s.ToolCallsExecuted != 1 || s.MissedResults != 0 {
		t.Fatalf("executed %d, missed %d", s.ToolCallsExecuted, s.MissedResults)
	}
	if _, err := New(Config{SecretKey: testKey, Concurrency: Int(0)}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Concurrency 0: %v, want ErrConfig", err)
	}
}

// A guard lets as many Run calls be in flight as its max_pending_calls,
// whether the setting came in a Config or in JSON, and refuses one more.
func TestRunsInFlightFollowMaxPendingCallsHoweverItIsGiven(t *testing.T) {
	fromConfig, err := New(Config{SecretKey: testKey, MaxPendingCalls: Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	defer fromConfig.Close()
	fromJSON, err := NewFromJSON([]byte(`{"secret_key":"` + testKey + `","max_pending_calls":2}`))
	if err != nil {
		t.Fatal(err)
	}
	defer fromJSON.Close()
	for name, g := range map[string]*Guard{"Config": fromConfig, "JSON": fromJSON} {
		inside, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 2)
		for i := 0; i < 2; i++ {
			tool := "slow_" + strconv.Itoa(i)
			go func() {
				_, err := g.Run(context.Background(), tool, nil, func(context.Context) (any, error) {
					inside <- struct{}{}
					<-release
					return "ok", nil
				})
				done <- err
			}()
		}
		// Both are inside before the third is tried; one refused ends the test.
		for entered := 0; entered < 2; entered++ {
			select {
			case <-inside:
			case err := <-done:
				t.Fatalf("%s: Run %d of 2 did not run: %v", name, entered+1, err)
			}
		}
		_, err := g.Run(context.Background(), "third", nil, func(context.Context) (any, error) {
			t.Errorf("%s: a third Run must not execute", name)
			return nil, nil
		})
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("%s: third Run: %v, want ErrBusy", name, err)
		}
		close(release)
		for i := 0; i < 2; i++ {
			if err := <-done; err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
}

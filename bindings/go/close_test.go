package auraguard

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

func TestUseAfterCloseIsAnError(t *testing.T) {
	g, err := New(Config{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = g.CheckTool("get_order", nil)
	wantErr(t, err, ErrClosed)
	wantErr(t, g.RecordResult(Result{OK: true}), ErrClosed)
	_, err = g.CheckOutput("hello")
	wantErr(t, err, ErrClosed)
	wantErr(t, g.RecordTokens(1, 1), ErrClosed)
	_, err = g.Stats()
	wantErr(t, err, ErrClosed)
	_, err = g.Report()
	wantErr(t, err, ErrClosed)
	_, err = g.ReportData()
	wantErr(t, err, ErrClosed)
	_, err = g.SaveState()
	wantErr(t, err, ErrClosed)
	wantErr(t, g.LoadState([]byte("{}")), ErrClosed)
	wantErr(t, g.Reset(), ErrClosed)
	wantErr(t, g.OnEvent(func(Event) {}), ErrClosed)
	_, err = g.Run(context.Background(), "get_order", nil, func(context.Context) (any, error) { return nil, nil })
	wantErr(t, err, ErrClosed)
}

// Close while other goroutines are calling: each call either completes or
// reports ErrClosed; none touches a freed guard (the race detector and the
// native library would notice).
func TestCloseDuringConcurrentCalls(t *testing.T) {
	g, err := New(Config{SecretKey: testKey, MaxPendingCalls: Int(64)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; ; i++ {
				d, err := g.CheckTool("get_order", args("order_id", "x"))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("CheckTool: %v", err)
					return
				}
				if d.Allowed() {
					err = g.RecordResult(Result{OK: true, CallID: d.CallID})
					if err != nil && !errors.Is(err, ErrClosed) {
						t.Errorf("RecordResult: %v", err)
						return
					}
				}
			}
		}()
	}
	close(start)
	runtime.Gosched()
	g.Close()
	wg.Wait()
}

func TestCloseFromAnEventHandler(t *testing.T) {
	g, err := New(Config{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.OnEvent(func(Event) { g.Close() }); err != nil {
		t.Fatal(err)
	}
	d, err := g.CheckTool("get_order", args("order_id", "1"))
	if err != nil {
		t.Fatal(err)
	}
	// The cost event closes the guard; the call that raised it still returns.
	if err := g.RecordResult(Result{OK: true, CallID: d.CallID}); err != nil {
		t.Fatal(err)
	}
	_, err = g.Stats()
	wantErr(t, err, ErrClosed)
}

// Many Close calls racing with calls in flight free the native guard once:
// a second free would also delete the event sink's handle twice, which
// panics.
func TestConcurrentClosesFreeTheGuardOnce(t *testing.T) {
	for round := 0; round < 20; round++ {
		g, err := New(Config{SecretKey: testKey, MaxPendingCalls: Int(64)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < 8; w++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				for {
					if _, err := g.CheckTool("get_order", args("order_id", "x")); errors.Is(err, ErrClosed) {
						return
					} else if err != nil {
						t.Errorf("CheckTool: %v", err)
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				<-start
				runtime.Gosched()
				if err := g.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if !g.freed.Load() {
			t.Fatal("no call freed the closed guard")
		}
		if _, err := g.CheckTool("get_order", nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	}
}

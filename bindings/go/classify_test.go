package auraguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A real failure of each kind, from a server or port on this machine.
func connectionRefused(t *testing.T) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = http.Get("http://" + addr + "/")
	if err == nil {
		t.Fatal("a closed port answered")
	}
	return err
}

// hangingServer accepts requests and answers none until the test ends; it
// counts the requests that reached it.
func hangingServer(t *testing.T) (string, *atomic.Int64) {
	var hits atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL, &hits
}

func statusServer(t *testing.T, code int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(client *http.Client, u string) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return CheckHTTPResponse(resp)
}

func TestClassifyMapsGoFailures(t *testing.T) {
	hanging, _ := hangingServer(t)
	quick := &http.Client{Timeout: 20 * time.Millisecond}
	for _, c := range []struct {
		name string
		err  error
		want Failure
	}{
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), Failure{CodeTimeout, OutcomeUnknown}},
		{"cancel", context.Canceled, Failure{CodeCancelled, OutcomeUnknown}},
		{"client timeout", get(quick, hanging), Failure{CodeTimeout, OutcomeUnknown}},
		{"refused", connectionRefused(t), Failure{CodeConnectionError, NotExecuted}},
		{"refused errno", &url.Error{Op: "Post", URL: "x", Err: syscall.ECONNREFUSED}, Failure{CodeConnectionError, NotExecuted}},
		{"reset", &url.Error{Op: "Post", Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, Failure{CodeConnectionError, OutcomeUnknown}},
		{"dns", &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, Failure{CodeConnectionError, NotExecuted}},
		{"503", get(http.DefaultClient, statusServer(t, 503)), Failure{"503", NotExecuted}},
		{"429", get(http.DefaultClient, statusServer(t, 429)), Failure{"429", NotExecuted}},
		{"coder", httpError{401}, Failure{"401", OutcomeUnknown}},
		{"explicit", &ToolError{Code: CodeTimeout, Outcome: NotExecuted}, Failure{CodeTimeout, NotExecuted}},
		{"plain", errors.New("boom"), Failure{DefaultErrorCode, OutcomeUnknown}},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s: Classify(%v) = %+v, want %+v", c.name, c.err, got, c.want)
		}
	}
	if get(http.DefaultClient, statusServer(t, 204)) != nil {
		t.Error("a 204 is not an error")
	}
}

// Each failure class the guard quarantines on, raised by a real Go error
// through Run, quarantines the tool after error_retry_threshold (2) calls.
func TestEveryMappedFailureQuarantinesTheTool(t *testing.T) {
	hanging, _ := hangingServer(t)
	quick := &http.Client{Timeout: 20 * time.Millisecond}
	cases := map[string]func() error{
		"timeout":          func() error { return get(quick, hanging) },
		"connection_error": func() error { return connectionRefused(t) },
		"429":              func() error { return get(http.DefaultClient, statusServer(t, 429)) },
		"5xx":              func() error { return get(http.DefaultClient, statusServer(t, 502)) },
		"401":              func() error { return get(http.DefaultClient, statusServer(t, 401)) },
		"403":              func() error { return get(http.DefaultClient, statusServer(t, 403)) },
	}
	for class, fail := range cases {
		g := newGuard(t, Config{})
		for i := 0; i < 2; i++ {
			_, err := g.Run(bg, "fetch", args("page", fmt.Sprint(i)), func(context.Context) (any, error) {
				return nil, fail()
			})
			var denied *DeniedError
			if err == nil || errors.As(err, &denied) {
				t.Fatalf("%s: call %d: %v, want the tool's error", class, i, err)
			}
		}
		_, err := g.Run(bg, "fetch", args("page", "9"), func(context.Context) (any, error) {
			t.Fatalf("%s: a quarantined tool ran", class)
			return nil, nil
		})
		var denied *DeniedError
		if !errors.As(err, &denied) || denied.Decision.Reason != "tool_quarantined:error_retry:"+class {
			t.Errorf("%s: third call: %v", class, err)
		}
	}
}

// The headline failure: a refund whose request left but whose answer timed
// out is executed once, however often the agent retries.
func TestATimedOutRefundExecutesOnceAcrossRetries(t *testing.T) {
	url, hits := hangingServer(t)
	g := newGuard(t, Config{})
	// Long enough for the request to reach the server on a loaded machine
	// (the count below depends on it), short enough to keep the test quick.
	client := &http.Client{Timeout: 500 * time.Millisecond}
	refund := func(ctx context.Context) (any, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/refund", nil)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		return "refunded", nil
	}
	var last error
	for i := 0; i < 3; i++ {
		_, last = g.Run(bg, "refund", args("order_id", "A"), refund, WithTicket("T-1"))
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the refund reached the server %d times, want 1", n)
	}
	var denied *DeniedError
	if !errors.As(last, &denied) || denied.Decision.Action != Cache {
		t.Fatalf("a retry: %v, want the recorded timeout", last)
	}
	if s := stats(t, g); s.ToolCallsExecuted != 1 {
		t.Fatalf("tool_calls_executed = %d, want 1", s.ToolCallsExecuted)
	}
}

// A tool that knows its request never left says so, and may be retried.
func TestAToolMaySayItDidNotExecute(t *testing.T) {
	g := newGuard(t, Config{})
	attempts := 0
	refund := func(context.Context) (any, error) {
		attempts++
		if attempts == 1 {
			return nil, &ToolError{Code: CodeTimeout, Outcome: NotExecuted, Err: errors.New("queue full")}
		}
		return "refunded", nil
	}
	for i := 0; i < 2; i++ {
		g.Run(bg, "refund", args("order_id", "A"), refund, WithTicket("T-1"))
	}
	if attempts != 2 {
		t.Fatalf("refund attempted %d times, want 2 (the first never left)", attempts)
	}
}

func TestTheClassifierCanBeReplaced(t *testing.T) {
	g := newGuard(t, Config{})
	errQuota := errors.New("quota exhausted")
	g.SetErrorClassifier(func(err error) Failure {
		if errors.Is(err, errQuota) {
			return Failure{Code: "429", Outcome: NotExecuted}
		}
		return Classify(err)
	})
	for i := 0; i < 2; i++ {
		g.Run(bg, "search_kb", args("query", fmt.Sprint(i)), func(context.Context) (any, error) { return nil, errQuota })
	}
	if why := stats(t, g).QuarantinedTools["search_kb"]; why != "error_retry:429" {
		t.Fatalf("quarantine = %q, want error_retry:429", why)
	}
}

package auraguard

import (
	"strconv"
	"strings"
	"testing"
)

// Each benchmark measures one CheckTool + RecordResult pair through the
// binding (JSON encoding and decoding included) and fails if a decision
// leaves the workload it claims to measure, and yields to the scheduler
// as a caller waiting on its tools would (pace, workloads_bench_test.go).

// resetEvery keeps a long benchmark run on the same workload: the run's
// bounded state (unique calls, cost events) never fills up.
const resetEvery = 4096

func BenchmarkCheckRecordDistinctReads(b *testing.B) {
	g := newGuard(b, Config{})
	payload := map[string]any{"status": "shipped"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		if i%resetEvery == 0 {
			g.Reset()
		}
		d, err := g.CheckTool("get_order", map[string]any{"order_id": strconv.Itoa(i)}, WithTicket("T-1"))
		if err != nil || d.Action != Allow {
			b.Fatalf("call %d: %v %v", i, d, err)
		}
		if err := g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckRecordJitteryQueries(b *testing.B) {
	// Jitter is measured, never acted on: the threshold is out of reach.
	g := newGuard(b, Config{ArgJitterRepeatThreshold: Int(1000000)})
	// Five consecutive words of a 16-word ring: each query overlaps the
	// previous one in four words, and repeats only every 16 calls.
	vocab := strings.Fields("refund policy order shipping EU Germany 2024 return label " +
		"invoice damaged late express customs warranty store")
	queries := make([]string, len(vocab))
	for i := range queries {
		words := make([]string, 5)
		for k := range words {
			words[k] = vocab[(i+k)%len(vocab)]
		}
		queries[i] = strings.Join(words, " ")
	}
	payload := map[string]any{"hits": 3}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		if i%resetEvery == 0 {
			g.Reset()
		}
		d, err := g.CheckTool("search_kb", map[string]any{"query": queries[i%len(queries)]})
		if err != nil || d.Action != Allow {
			b.Fatalf("call %d: %v %v", i, d, err)
		}
		if err := g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckRecordRepeatedCall(b *testing.B) {
	g := newGuard(b, Config{})
	args := map[string]any{"order_id": "A1"}
	payload := map[string]any{"status": "shipped"}
	warm := func() {
		for j := 0; j < 2; j++ { // two executions, then every call is a cache hit
			d, err := g.CheckTool("get_order", args)
			if err != nil {
				b.Fatal(err)
			}
			if err := g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}); err != nil {
				b.Fatal(err)
			}
		}
	}
	warm()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		d, err := g.CheckTool("get_order", args)
		if err != nil || d.Action != Cache {
			b.Fatalf("call %d: %v %v", i, d, err)
		}
	}
}

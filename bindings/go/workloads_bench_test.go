package auraguard

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// The workloads of bench/c/bench_capi.c and bench/compare (the same tools,
// arguments, ticket, payload and configurations, a cost budget out of
// reach included), through the public API as a Go caller that already has
// its arguments as JSON uses it: json.RawMessage in, json.RawMessage out.
// `make bench-compare` reads these lines (ns/op, allocs/op). Each fails if
// a decision leaves the workload it claims to measure.

// workloadConfig is the C benchmark's configuration: a budget far out of reach.
func workloadConfig(extra func(*Config)) Config {
	cfg := Config{SecretKey: "bench", MaxCostPerRun: Float(1e6)}
	if extra != nil {
		extra(&cfg)
	}
	return cfg
}

var (
	workloadPayload any = json.RawMessage(`{"n":1}`)
	workloadTicket      = WithTicket("T-1")
	// The read and jitter workloads start their guard afresh (a Reset)
	// every this many operations, as bench/compare gives every other side a
	// fresh guard per batch of --iterations operations: a guard's first
	// thousand distinct reads, while its tables grow and its cache fills,
	// cost more than the ones after (docs/PERFORMANCE.md). compare.py
	// passes its --iterations here.
	workloadBatch = flag.Int("workload.batch", 2000, "operations per fresh guard in the read and jitter workloads")
)

// yieldEvery is how many operations a workload's loop makes between two
// runtime.Gosched calls. A real caller's goroutine waits on its tool between
// a check and its record, and so goes through the scheduler; a loop that
// never does is taken by the runtime for one that hogs its P after 10 ms,
// and from then on its monitor thread takes the P back from every cgo call
// it finds in progress and wakes another thread to hold it. On one CPU
// (how bench-compare runs every side) that cost a 4.5 µs call 0.5-0.8 µs
// in context switches (docs/PERFORMANCE.md, "A result's payload"). A yield
// with nothing else to run measured 85-99 ns here: under 0.4 ns an
// operation at one in 256.
const yieldEvery = 256

// pace is called at the top of every measured operation: it yields as a
// waiting caller would, every yieldEvery operations.
func pace(i int) {
	if i%yieldEvery == 0 {
		runtime.Gosched()
	}
}

// batchSize is -workload.batch, checked.
func batchSize(b *testing.B) int {
	if *workloadBatch < 1 {
		b.Fatalf("-workload.batch must be at least 1, not %d", *workloadBatch)
	}
	return *workloadBatch
}

// pair is one check and, when allowed, its record; false when off-workload.
func pair(g *Guard, args []byte, tool string, want Action) bool {
	return pairWith(g, args, tool, want, workloadPayload)
}

// pairWith is pair recording `payload`.
func pairWith(g *Guard, args []byte, tool string, want Action, payload any) bool {
	d, err := g.CheckTool(tool, json.RawMessage(args), workloadTicket)
	if err != nil || d.Action != want {
		return false
	}
	if d.Action == Allow {
		return g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}) == nil
	}
	return true
}

// orderRest is what get_order answers after the order's id
// (bench_capi.c's make_order): 20 line items with prices, in the tool's
// key order.
func orderRest() []byte {
	rest := []byte(`","status":"shipped","items":[`)
	for k := 0; k < 20; k++ {
		if k > 0 {
			rest = append(rest, ',')
		}
		rest = fmt.Appendf(rest, `{"sku":"SKU-%05d","name":"Item number %d","qty":%d,"price":%d.99}`, k*7, k, k%5+1, k+10)
	}
	return append(rest, `],"customer":{"id":4711,"tier":"gold"}}`...)
}

// appendOrderID appends `{"order_id":"A-<i>` to buf: the arguments of
// get_order and the start of its answer.
func appendOrderID(buf []byte, i int) []byte {
	return strconv.AppendInt(append(buf, `{"order_id":"A-`...), int64(i), 10)
}

// benchDistinctOrders reads a new order each call and records payload(i)
// as its result.
func benchDistinctOrders(b *testing.B, payload func(i int) any) {
	g := newGuard(b, workloadConfig(nil))
	args := make([]byte, 0, 64)
	batch := batchSize(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		if i%batch == 0 {
			g.Reset()
		}
		args = append(appendOrderID(args[:0], i), `"}`...)
		if !pairWith(g, args, "get_order", Allow, payload(i)) {
			b.Fatalf("call %d left the workload", i)
		}
	}
}

func BenchmarkWorkloadDistinctReads(b *testing.B) {
	benchDistinctOrders(b, func(int) any { return workloadPayload })
}

// A read whose result is a new 1.3 KB order each time, as a real tool's is.
func BenchmarkWorkloadDistinctResults(b *testing.B) {
	rest := orderRest()
	order := make([]byte, 0, 2048)
	benchDistinctOrders(b, func(i int) any {
		order = append(appendOrderID(order[:0], i), rest...)
		return json.RawMessage(order)
	})
}

func BenchmarkWorkloadJitteryQueries(b *testing.B) {
	g := newGuard(b, workloadConfig(func(c *Config) { c.ArgJitterRepeatThreshold = Int(1000000) }))
	vocab := []string{"refund", "policy", "germany", "shipping", "delay", "invoice", "warranty",
		"return", "label", "customs", "express", "tracking", "damaged", "parcel", "credit", "voucher"}
	queries := make([][]byte, 16)
	for k := range queries {
		q := vocab[k]
		for j := 1; j < 5; j++ {
			q += " " + vocab[(k+j)%16]
		}
		queries[k] = []byte(`{"query":"` + q + `"}`)
	}
	batch := batchSize(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		if i%batch == 0 {
			g.Reset()
		}
		if !pair(g, queries[i%16], "search_kb", Allow) {
			b.Fatalf("call %d left the workload", i)
		}
	}
}

func BenchmarkWorkloadCachedRepeat(b *testing.B) {
	g := newGuard(b, workloadConfig(func(c *Config) {
		c.RepeatToolcallThreshold = Int(2)
		c.MaxInterventionLog = Int(100000)
		c.MaxCacheEntries = Int(100000)
	}))
	args := []byte(`{"order_id":"A-1"}`)
	for j := 0; j < 2; j++ {
		pair(g, args, "get_order", Allow)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		if !pair(g, args, "get_order", Cache) {
			b.Fatalf("call %d left the workload", i)
		}
	}
}

func BenchmarkWorkloadCheckOutput(b *testing.B) {
	g := newGuard(b, workloadConfig(nil))
	messages := []string{
		"Thanks for waiting. Your order A-100 left our warehouse on Monday and the carrier " +
			"expects to deliver it on Thursday before noon. If it does not arrive by Friday, reply " +
			"here and we will send a replacement at no cost, with express shipping included.",
		"I checked the refund you asked about. The amount of twenty five euros was approved " +
			"today and goes back to the card you paid with. Banks usually need three to five " +
			"working days to show it; your reference number is R-2291 for questions.",
		"The warranty covers the blender motor for two years from purchase, but not the glass " +
			"jug. Since the jug cracked during delivery, that counts as transport damage: please " +
			"send a photo of the box and the crack, and a new jug ships.",
		"Your account now uses the new billing address in Munich. Future invoices will show it " +
			"automatically, and the invoice from last week can be reissued if you need it for " +
			"accounting. Nothing else changes about your subscription, plan, price or renewal date.",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pace(i)
		d, err := g.CheckOutput(messages[i%4])
		if err != nil || d != nil {
			b.Fatalf("message %d: %v %v", i, d, err)
		}
	}
}

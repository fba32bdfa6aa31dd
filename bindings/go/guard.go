package auraguard

/*
#include <auraguard.h>
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
)

// Guard holds the state of one agent run and its configuration. Create it
// with New or NewFromJSON and release it with Close. A Guard is safe for
// concurrent use by many goroutines.
type Guard struct {
	// ptr is the native guard; calls count themselves in and out of
	// inFlight around every use of it (see lifetime.go).
	ptr      *C.auraguard_guard
	inFlight atomic.Int64 // native calls in flight, plus closingBit after Close
	freed    atomic.Bool  // ptr was freed (exactly once)

	events      *eventSink
	eventHandle cgo.Handle // passed to the library as the callback's user data
	eventMu     sync.Mutex // serializes OnEvent
	listening   bool       // whether the native callback is registered

	checks sync.Pool // *checkBlock (callblock.go)

	capacity       int          // max_pending_calls: Run calls allowed in flight at once
	runs           atomic.Int64 // Run calls in flight
	recordFailures atomic.Uint64
	classify       atomic.Pointer[func(error) Failure]
}

// New creates a Guard from a typed configuration. Nil fields of cfg keep
// the engine's defaults. A rejected configuration gives an error matching
// ErrConfig whose message names the key.
func New(cfg Config) (*Guard, error) {
	if err := applyConcurrency(&cfg); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, &Error{Status: StatusConfig, Message: "configuration cannot be encoded: " + err.Error()}
	}
	capacity := defaultPendingCalls
	if cfg.MaxPendingCalls != nil && *cfg.MaxPendingCalls >= 1 {
		capacity = *cfg.MaxPendingCalls
	}
	return openGuard(raw, capacity)
}

// NewFromJSON creates a Guard from a configuration given as a JSON object,
// with the keys listed in the README (the same keys Config has).
func NewFromJSON(config []byte) (*Guard, error) {
	return openGuard(config, pendingCapacity(config))
}

// openGuard makes the guard of a configuration whose max_pending_calls is
// capacity (read from the Config itself when there is one, rather than
// parsed back out of its JSON).
func openGuard(config []byte, capacity int) (*Guard, error) {
	cfg, err := cString(config, "configuration")
	if err != nil {
		return nil, err
	}
	var ptr *C.auraguard_guard
	var msg *C.char
	status := C.auraguard_guard_new(cfg, &ptr, &msg)
	if err := statusError(status, msg); err != nil {
		return nil, err
	}
	g := &Guard{ptr: ptr, events: &eventSink{}, capacity: capacity}
	g.eventHandle = cgo.NewHandle(g.events)
	// A safety net for a Guard that is dropped without Close.
	runtime.SetFinalizer(g, (*Guard).Close)
	return g, nil
}

// CallOption adjusts one CheckTool call.
type CallOption func(*callOptions)

type callOptions struct {
	ticket     string
	sideEffect C.int32_t // -1: from the configuration's side_effect_tools
}

// WithTicket names the customer ticket or task the call belongs to; side
// effects are limited and deduplicated per ticket. Without it the call
// belongs to the run itself.
func WithTicket(id string) CallOption {
	return func(o *callOptions) { o.ticket = id }
}

// WithSideEffect says explicitly whether the call changes the world,
// overriding the configuration's side_effect_tools for this call.
func WithSideEffect(yes bool) CallOption {
	return func(o *callOptions) {
		o.sideEffect = 0
		if yes {
			o.sideEffect = 1
		}
	}
}

// CheckTool asks whether to execute tool with args, before executing it.
// args is anything encoding/json turns into an object (a map, a struct, a
// json.RawMessage), or nil for no arguments. On Allow, execute the tool and
// report with RecordResult, passing the decision's CallID.
func (g *Guard) CheckTool(tool string, args any, opts ...CallOption) (Decision, error) {
	return g.checkTool(nil, tool, args, opts...)
}

// checkTool is CheckTool keeping a handler's panic in faults (nil: raise it).
func (g *Guard) checkTool(faults *handlerFaults, tool string, args any, opts ...CallOption) (Decision, error) {
	s := g.getCheck()
	for _, opt := range opts {
		opt(&s.opts)
	}
	argsJSON, err := encodeArgs(args)
	if err != nil {
		g.putCheck(s)
		return Decision{}, err
	}
	// Filled in place: a Decision is 15 words, and each return by value copies them.
	var d Decision
	if err := g.checkFast(faults, s, tool, argsJSON, &d); err != nil {
		return Decision{}, err
	}
	return d, nil
}

// CheckOutput checks an assistant message for a stall before it is sent. It
// returns nil when there is nothing to do; otherwise a Rewrite (add the
// InjectedSystem text and ask again), Escalate or Finalize decision.
func (g *Guard) CheckOutput(text string) (*Decision, error) {
	return g.checkOutputFast(text)
}

// RecordResult reports the outcome of an allowed call.
func (g *Guard) RecordResult(r Result) error {
	return g.recordWith(nil, r)
}

// recordWith is RecordResult keeping a handler's panic in faults (nil: raise it).
func (g *Guard) recordWith(faults *handlerFaults, r Result) error {
	return g.recordFast(faults, &r)
}

// RecordTokens adds a model call's token usage to the run's cost, priced
// with the configuration's cost model.
func (g *Guard) RecordTokens(input, output uint64) error {
	return g.recordTokens(input, output, C.double(nan()))
}

// RecordTokenCost adds a model call's usage at a cost in USD that the
// caller already knows (finite and >= 0).
func (g *Guard) RecordTokenCost(input, output uint64, usd float64) error {
	return g.recordTokens(input, output, C.double(usd))
}

func (g *Guard) recordTokens(input, output uint64, cost C.double) error {
	return g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		return C.auraguard_record_tokens(p, C.uint64_t(input), C.uint64_t(output), cost, msg)
	})
}

// Reset starts a new run: every counter, cache, ledger entry, quarantine and
// waiting call is cleared; the configuration is kept.
func (g *Guard) Reset() error {
	return g.call(func(p *C.auraguard_guard, msg **C.char) C.auraguard_status {
		return C.auraguard_reset(p, msg)
	})
}

// call runs one native call on the guard: it refuses a closed guard, keeps
// the guard alive for the call's duration, turns the status into an error,
// then runs the event handlers on the events queued meanwhile and re-raises
// the first panic one of them raised.
func (g *Guard) call(fn func(p *C.auraguard_guard, msg **C.char) C.auraguard_status) error {
	var faults handlerFaults
	defer faults.rethrow()
	return g.callWith(&faults, fn)
}

// callWith is call keeping a handler's panic in faults (nil: raise it).
func (g *Guard) callWith(faults *handlerFaults, fn func(p *C.auraguard_guard, msg **C.char) C.auraguard_status) error {
	if faults == nil {
		return g.call(fn)
	}
	err := g.native(fn)
	g.events.dispatch(faults)
	return err
}

func (g *Guard) native(fn func(p *C.auraguard_guard, msg **C.char) C.auraguard_status) error {
	p, err := g.acquire()
	if err != nil {
		return err
	}
	defer g.release()
	var msg *C.char
	status := fn(p, &msg)
	runtime.KeepAlive(g)
	return statusError(status, msg)
}

// SetErrorClassifier replaces Classify for this guard's Run calls; nil
// restores Classify. fn may call Classify for the cases it leaves alone.
func (g *Guard) SetErrorClassifier(fn func(error) Failure) {
	if fn == nil {
		g.classify.Store(nil)
		return
	}
	g.classify.Store(&fn)
}

func (g *Guard) classifier() func(error) Failure {
	if fn := g.classify.Load(); fn != nil {
		return *fn
	}
	return Classify
}

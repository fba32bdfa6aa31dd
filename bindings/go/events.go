package auraguard

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Event is one notice from the guard, for logs and metrics: an intervention
// (any decision but a plain allow), a cost entry, or a result that Run
// could not record. Events carry names, counts, reasons, costs and
// signatures, never raw arguments, payloads, ticket ids or text.
type Event struct {
	// Type is "intervention", "cost" or "record_failed".
	Type  string `json:"event"`
	RunID string `json:"run_id"`
	// Tool is empty for an intervention on an assistant message.
	Tool string `json:"tool"`

	// Intervention fields. On "record_failed", Reason says what went wrong.
	Action  Action `json:"action"`
	Reason  string `json:"reason"`
	ArgsSig string `json:"args_sig"`

	// Cost fields: Kind is "tool_call", "tokens", "budget_warning" or
	// "budget_exceeded".
	Kind      string  `json:"kind"`
	AmountUSD float64 `json:"amount_usd"`
	SpentUSD  float64 `json:"spent_usd"`

	// Raw is the event as the library sent it, fields unknown to this
	// version included.
	Raw json.RawMessage `json:"-"`
}

// EventRecordFailed is the Type of the event Run emits when it could not
// record a tool's outcome as given.
const EventRecordFailed = "record_failed"

// OnEvent registers fn to receive every event of this guard; nil stops
// delivery. fn runs on the goroutine of a Guard call that was under way
// when the event happened, after that call's native part has returned, in
// the order the events happened; it may call methods of this Guard (Close
// included). A panic in fn is re-raised, as it is, from that Guard method
// once its work is done (Run: once the call is recorded); the other events
// are still delivered.
//
// The library's callback is registered the first time a handler is set and
// stays registered until Close, so that OnEvent never waits on the library.
func (g *Guard) OnEvent(fn func(Event)) error {
	if g.closed() {
		return ErrClosed
	}
	g.eventMu.Lock()
	defer g.eventMu.Unlock()
	g.events.set(fn)
	if fn == nil || g.listening {
		return nil
	}
	err := g.listen()
	if err == nil {
		g.listening = true
	}
	return err
}

// RecordFailures counts the tool outcomes Run could not record as given
// (see Run); each is also a "record_failed" event.
func (g *Guard) RecordFailures() uint64 { return g.recordFailures.Load() }

// recordFailed counts and announces an outcome Run could not record.
func (g *Guard) recordFailed(tool string, err error) {
	g.recordFailures.Add(1)
	raw, _ := json.Marshal(map[string]string{"event": EventRecordFailed, "tool": tool, "reason": err.Error()})
	g.events.push(Event{Type: EventRecordFailed, Tool: tool, Reason: err.Error(), Raw: raw})
}

// eventSink queues the events the library delivers until the Guard call
// that produced them has returned; nothing of the user's runs inside the
// library's callback. It does not refer to the Guard, so the Guard's
// finalizer can still run.
type eventSink struct {
	mu     sync.Mutex
	fn     func(Event)
	queue  []Event
	queued atomic.Int64 // len(queue), read without the lock after every call
}

func (s *eventSink) set(fn func(Event)) {
	s.mu.Lock()
	s.fn = fn
	if fn == nil {
		s.queue = nil
		s.queued.Store(0)
	}
	s.mu.Unlock()
}

// deliver is called from the library's callback with a copy of the event.
func (s *eventSink) deliver(raw []byte) {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return // the library only sends objects; nothing useful to hand over
	}
	ev.Raw = raw
	s.push(ev)
}

func (s *eventSink) push(ev Event) {
	s.mu.Lock()
	if s.fn != nil {
		s.queue = append(s.queue, ev)
		s.queued.Store(int64(len(s.queue)))
	}
	s.mu.Unlock()
}

// dispatch runs the handler on every queued event, keeping the first panic
// in faults.
func (s *eventSink) dispatch(faults *handlerFaults) {
	for s.queued.Load() > 0 {
		s.mu.Lock()
		queue, fn := s.queue, s.fn
		s.queue = nil
		s.queued.Store(0)
		s.mu.Unlock()
		if len(queue) == 0 || fn == nil {
			return
		}
		if faults.hold {
			faults.held = append(faults.held, queue...)
			continue
		}
		for _, ev := range queue {
			faults.run(fn, ev)
		}
	}
}

// release runs the handler on the events Run held, then on any queued since.
func (s *eventSink) release(faults *handlerFaults) {
	faults.hold = false
	held := faults.held
	faults.held = nil
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	if fn != nil {
		for _, ev := range held {
			faults.run(fn, ev)
		}
	}
	s.dispatch(faults)
}

// handlerFaults holds the first panic of event handlers until the Guard
// method that delivered the events may raise it; with hold set (Run) it
// also holds the events themselves until the call is recorded.
type handlerFaults struct {
	raised bool
	value  any
	hold   bool
	held   []Event
}

func (f *handlerFaults) run(fn func(Event), ev Event) {
	defer func() {
		if r := recover(); r != nil && !f.raised {
			f.raised, f.value = true, r
		}
	}()
	fn(ev)
}

// rethrow re-raises the panic kept, if any.
func (f *handlerFaults) rethrow() {
	if f.raised {
		f.raised = false
		panic(f.value)
	}
}

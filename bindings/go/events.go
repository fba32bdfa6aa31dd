package auraguard

import (
	"encoding/json"
	"sync"
)

// Event is one notice from the guard, for logs and metrics: an intervention
// (any decision but a plain allow) or a cost entry. Events carry names,
// counts, reasons, costs and signatures, never raw arguments, payloads,
// ticket ids or text.
type Event struct {
	// Type is "intervention" or "cost".
	Type  string `json:"event"`
	RunID string `json:"run_id"`
	// Tool is empty for an intervention on an assistant message.
	Tool string `json:"tool"`

	// Intervention fields.
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

// OnEvent registers fn to receive every event of this guard; nil stops
// delivery. fn runs synchronously on the goroutine whose call produced the
// event, before that call returns; it may call methods of this Guard (Close
// included). A panic in fn is re-raised from the Guard method that produced
// the event.
func (g *Guard) OnEvent(fn func(Event)) error {
	if g.closed() {
		return ErrClosed
	}
	g.eventMu.Lock()
	defer g.eventMu.Unlock()
	g.events.set(fn)
	want := fn != nil
	if want == g.listening {
		return nil
	}
	// The native callback is registered only while someone listens, so a
	// guard without a handler never crosses into Go for an event.
	err := g.listen(want)
	if err == nil {
		g.listening = want
	}
	return err
}

// eventSink is what the native callback reaches through a cgo.Handle. It
// does not refer to the Guard, so the Guard's finalizer can still run.
type eventSink struct {
	mu      sync.Mutex
	fn      func(Event)
	panicky bool
	panic   any // raised by fn, to re-raise outside the native frames
}

func (s *eventSink) set(fn func(Event)) {
	s.mu.Lock()
	s.fn = fn
	s.mu.Unlock()
}

func (s *eventSink) deliver(raw []byte) {
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	if fn == nil {
		return
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return // the library only sends objects; nothing useful to hand over
	}
	ev.Raw = raw
	// A panic must not unwind through the library's frames: keep it, and
	// let the Guard method re-raise it once the native call has returned.
	defer func() {
		if r := recover(); r != nil {
			s.mu.Lock()
			if !s.panicky {
				s.panicky, s.panic = true, r
			}
			s.mu.Unlock()
		}
	}()
	fn(ev)
}

// rethrow re-raises a panic kept by deliver.
func (s *eventSink) rethrow() {
	s.mu.Lock()
	panicky, r := s.panicky, s.panic
	s.panicky, s.panic = false, nil
	s.mu.Unlock()
	if panicky {
		panic(r)
	}
}

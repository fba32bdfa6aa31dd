package auraguard

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

// DeniedError is returned by Run when the guard did not let the tool run
// and there is no result to reuse. Decision says what to do instead: on
// Rewrite add Decision.InjectedSystem to the prompt, on Escalate hand
// Decision.EscalationPacket to a person, on Block tell the model.
type DeniedError struct {
	Tool     string
	Decision Decision
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("auraguard: %s not run: %s (%s)", e.Tool, e.Decision.Action, e.Decision.Reason)
}

// CachedPayload is a recorded tool result as its JSON. Run[CachedPayload]
// returns it as it is; it prints as that JSON, and Decode reads it back.
type CachedPayload []byte

func (p CachedPayload) String() string { return string(p) }

// MarshalJSON embeds the payload as it is, like json.RawMessage.
func (p CachedPayload) MarshalJSON() ([]byte, error) { return json.RawMessage(p).MarshalJSON() }

// Decode unmarshals the payload into v.
func (p CachedPayload) Decode(v any) error { return json.Unmarshal(p, v) }

// Run guards one tool call: it checks the call, executes fn when allowed,
// records the outcome under the decision's call id and returns fn's value.
//
//   - Allow: fn runs with ctx. A nil error records a success with fn's value
//     as the payload. An error is returned as it is and recorded as the
//     failure Classify (or the guard's classifier) makes of it; for a
//     side-effect tool an outcome that is not known to be "not executed"
//     is recorded as executed, so a retry is never executed twice. A panic
//     in fn is recorded the same way (code "panic") and re-raised.
//   - Cache with a successful result: fn does not run; the recorded JSON is
//     decoded into T, so a replay has the type of the first call.
//   - Anything else: fn does not run; the error is a *DeniedError.
//
// With T = any, every call, first or replayed, returns the value as JSON
// reads it back (map[string]any, []any, float64, string, bool, nil), so
// both have the same shape; a value that cannot be written as JSON is
// returned as fn gave it. With T = CachedPayload a replay returns the JSON.
//
// A cancelled ctx before the check returns ctx.Err() and checks nothing.
// If the outcome cannot be recorded after fn ran (the value is not JSON or
// too large, the call id was dropped), Run records it without the payload
// when it can, returns fn's value anyway, and reports the problem as a
// "record_failed" event and in RecordFailures. Errors of the guard itself
// before fn runs (a misuse in strict mode, a closed guard, ErrBusy) are
// returned as they are.
func Run[T any](ctx context.Context, g *Guard, tool string, args any, fn func(context.Context) (T, error), opts ...CallOption) (out T, err error) {
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if err := g.enterRun(); err != nil {
		return out, err
	}
	defer g.leaveRun()
	// The call's events reach the handler once the call is recorded, so that
	// a handler can never leave an allowed call without its result; the
	// handler's panic is raised then, unless fn's own panic is under way.
	faults := handlerFaults{hold: true}
	defer func() {
		if r := recover(); r != nil {
			g.events.release(&faults)
			panic(r)
		}
		g.events.release(&faults)
		faults.rethrow()
	}()
	d, err := g.checkTool(&faults, tool, args, opts...)
	if err != nil {
		return out, err
	}
	switch d.Action {
	case Allow:
		return execute(ctx, g, &faults, tool, d, fn)
	case Cache:
		if d.CachedResult != nil && d.CachedResult.OK {
			return decodeCached[T](tool, d.CachedResult.Payload)
		}
	}
	return out, &DeniedError{Tool: tool, Decision: d}
}

// Run is Run[any] as a method: see the package function Run.
func (g *Guard) Run(ctx context.Context, tool string, args any, fn func(context.Context) (any, error), opts ...CallOption) (any, error) {
	return Run(ctx, g, tool, args, fn, opts...)
}

// execute runs an allowed call and records its outcome under its call id.
func execute[T any](ctx context.Context, g *Guard, faults *handlerFaults, tool string, d Decision, fn func(context.Context) (T, error)) (out T, err error) {
	sideEffect := d.IdempotencyKey != ""
	finished := false
	defer func() {
		if !finished { // fn panicked: the call still needs its result
			g.recordFailure(faults, tool, d, Failure{Code: "panic", Outcome: OutcomeUnknown}, sideEffect)
		}
	}()
	out, err = fn(ctx)
	finished = true
	if err != nil {
		f := g.classifier()(err)
		if f.Code == "" {
			f.Code = DefaultErrorCode
		}
		g.recordFailure(faults, tool, d, f, sideEffect)
		var zero T
		return zero, err
	}
	payload, recErr := json.Marshal(out)
	if recErr != nil {
		recErr = fmt.Errorf("the value cannot be written as JSON: %w", recErr)
	} else {
		recErr = g.recordWith(faults, Result{OK: true, Payload: json.RawMessage(payload), CallID: d.CallID})
	}
	if recErr != nil {
		// The tool ran: record that it succeeded, without the payload.
		if again := g.recordWith(faults, Result{OK: true, CallID: d.CallID}); again != nil {
			recErr = fmt.Errorf("%w; recording without the payload failed too: %v", recErr, again)
		}
		g.recordFailed(tool, recErr)
		return out, nil
	}
	if dyn, ok := any(&out).(*any); ok {
		var v any
		if json.Unmarshal(payload, &v) == nil {
			*dyn = v
		}
	}
	return out, nil
}

// recordFailure records a failed call; a side-effect tool whose outcome is
// not known to be "not executed" is recorded as executed.
func (g *Guard) recordFailure(faults *handlerFaults, tool string, d Decision, f Failure, sideEffect bool) {
	r := Result{OK: false, ErrorCode: f.Code, CallID: d.CallID}
	if sideEffect || f.Outcome != OutcomeUnknown {
		executed := f.Outcome != NotExecuted
		r.SideEffectExecuted = &executed
	}
	g.recordOutcome(faults, tool, r)
}

// recordOutcome records r, reporting a refusal as a record failure.
func (g *Guard) recordOutcome(faults *handlerFaults, tool string, r Result) {
	if err := g.recordWith(faults, r); err != nil {
		g.recordFailed(tool, err)
	}
}

// decodeCached turns a cached payload into the type fn returns.
func decodeCached[T any](tool string, payload json.RawMessage) (out T, err error) {
	if raw, ok := any(&out).(*CachedPayload); ok {
		*raw = CachedPayload(payload)
		return out, nil
	}
	if err := json.Unmarshal(payload, &out); err != nil {
		return out, &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(
			"the cached result of %s cannot be decoded into %v: %v", tool, reflect.TypeOf(&out).Elem(), err)}
	}
	return out, nil
}

package auraguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// CachedPayload is a tool result that Run reused from the guard's cache
// instead of executing the tool: the JSON the result was recorded as. It
// prints as that JSON, and json.Unmarshal (or Decode) reads it back.
type CachedPayload []byte

func (p CachedPayload) String() string { return string(p) }

// MarshalJSON embeds the payload as it is, like json.RawMessage.
func (p CachedPayload) MarshalJSON() ([]byte, error) { return json.RawMessage(p).MarshalJSON() }

// Decode unmarshals the payload into v.
func (p CachedPayload) Decode(v any) error { return json.Unmarshal(p, v) }

// ErrorCoder is implemented by errors that know their error code ("429",
// "503", "timeout", ...). Run records a failed call under that code, which
// is what the guard's retry and quarantine rules look at.
type ErrorCoder interface {
	ErrorCode() string
}

// SideEffectReporter is implemented by errors that know whether the side
// effect may have happened anyway (a timeout after the request was sent).
type SideEffectReporter interface {
	SideEffectExecuted() bool
}

// DefaultErrorCode is the error code Run records for an error that neither
// implements ErrorCoder nor is a timeout.
const DefaultErrorCode = "error"

// Run guards one tool call: it checks the call, executes fn when allowed,
// records the outcome and returns fn's result.
//
//   - Allow: fn runs. Its error is returned as is and recorded as a failure
//     with the error's code (see ErrorCoder; a timeout is "timeout",
//     anything else DefaultErrorCode). A panic in fn is recorded as a
//     failure and re-raised.
//   - Cache: fn does not run; the stored payload is returned as a
//     CachedPayload (decode it into the type fn returns).
//   - Anything else: fn does not run; the error is a *DeniedError.
//
// Errors of the guard itself (a misuse in strict mode, a closed guard) are
// returned as they are. If recording a successful call fails, Run returns
// fn's result together with that error: the tool did run.
func (g *Guard) Run(tool string, args any, fn func() (any, error), opts ...CallOption) (any, error) {
	d, err := g.CheckTool(tool, args, opts...)
	if err != nil {
		return nil, err
	}
	switch d.Action {
	case Allow:
		return g.execute(d, fn)
	case Cache:
		if d.CachedResult != nil && d.CachedResult.OK {
			return CachedPayload(d.CachedResult.Payload), nil
		}
	}
	return nil, &DeniedError{Tool: tool, Decision: d}
}

// execute runs an allowed call and records its outcome under its call id.
func (g *Guard) execute(d Decision, fn func() (any, error)) (out any, err error) {
	finished := false
	defer func() {
		if !finished { // fn panicked: the call still needs its result
			_ = g.RecordResult(Result{OK: false, ErrorCode: "panic", CallID: d.CallID})
		}
	}()
	out, err = fn()
	finished = true
	if err != nil {
		r := Result{OK: false, ErrorCode: errorCode(err), CallID: d.CallID}
		var se SideEffectReporter
		if errors.As(err, &se) {
			executed := se.SideEffectExecuted()
			r.SideEffectExecuted = &executed
		}
		if recErr := g.RecordResult(r); recErr != nil {
			return nil, fmt.Errorf("%w (recording the failure failed too: %v)", err, recErr)
		}
		return nil, err
	}
	// A payload encoding/json cannot encode is recorded as null: the call
	// did succeed, only its result cannot be cached.
	var payload json.RawMessage
	if raw, mErr := json.Marshal(out); mErr == nil {
		payload = raw
	}
	if recErr := g.RecordResult(Result{OK: true, Payload: payload, CallID: d.CallID}); recErr != nil {
		return out, recErr
	}
	return out, nil
}

func errorCode(err error) string {
	var coder ErrorCoder
	if errors.As(err, &coder) {
		if code := coder.ErrorCode(); code != "" {
			return code
		}
	}
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &timeout) && timeout.Timeout()) {
		return "timeout"
	}
	return DefaultErrorCode
}

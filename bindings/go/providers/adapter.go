package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// The pieces every framework adapter (bindings/go/*guard) shares: one
// guarded tool call with the framework's denial and stop semantics, and the
// check of a model's text reply.

// StopError says why the guard stopped a run: it escalated (hand
// Decision.EscalationPacket to a person) or finalized (send
// Decision.FinalizedOutput.ReplyDraft). Tool and CallID name the tool call
// that was stopped; both are "" when the decision was about the model's
// text.
type StopError struct {
	Tool     string             `json:"tool,omitempty"`
	CallID   string             `json:"call_id,omitempty"`
	Decision auraguard.Decision `json:"decision"`
}

func (e *StopError) Error() string {
	switch {
	case e.Tool == "":
		return fmt.Sprintf("auraguard: the run was stopped: %s (%s)", e.Decision.Action, e.Decision.Reason)
	case e.CallID == "":
		return fmt.Sprintf("auraguard: the run was stopped at %s: %s (%s)", e.Tool, e.Decision.Action, e.Decision.Reason)
	}
	return fmt.Sprintf("auraguard: the run was stopped at %s (%s): %s (%s)",
		e.Tool, e.CallID, e.Decision.Action, e.Decision.Reason)
}

// ToolOutcome is what became of one guarded tool call (GuardTool).
type ToolOutcome[T any] struct {
	// Value is the tool's value, or the cached one of an earlier call.
	Value T
	// Denied is set when the tool did not run and there is no value to
	// reuse; Reply is then what the model reads instead of the output.
	Denied bool
	Reply  string
	// Stop is set on Escalate and Finalize: end the run.
	Stop *StopError
}

// GuardTool runs one tool call through auraguard.Run: checked, run when
// allowed, recorded. A denial becomes a Reply for the model, an escalation
// or a forced finish a Stop; a call whose arguments are not a JSON object
// never reaches the guard or the tool. The error is the tool's own, or the
// guard's (a closed guard, ErrBusy).
func GuardTool[T any](ctx context.Context, g *auraguard.Guard, call ToolCall,
	fn func(context.Context) (T, error), opts ...auraguard.CallOption) (ToolOutcome[T], error) {
	var out ToolOutcome[T]
	if call.Err != nil {
		out.Denied, out.Reply = true, InvalidArgumentsText(call.Err)
		return out, nil
	}
	v, err := auraguard.Run(ctx, g, call.Name, call.ArgumentsJSON(), fn, opts...)
	var denied *auraguard.DeniedError
	if !errors.As(err, &denied) {
		out.Value = v
		return out, err
	}
	out.Denied = true
	out.Reply, _ = ReplyText(call.Name, denied.Decision)
	if a := denied.Decision.Action; a == auraguard.Escalate || a == auraguard.Finalize {
		out.Stop = &StopError{Tool: call.Name, CallID: call.ID, Decision: denied.Decision}
	}
	return out, nil
}

// ReplyCheck is the guard's verdict on a model's text reply (CheckReply).
type ReplyCheck struct {
	// Rewrite is the instruction to add as a system message before asking
	// the model again; "" when the reply may go out.
	Rewrite string
	// Stop is set on Escalate and Finalize: end the run.
	Stop *StopError
}

// CheckReply passes a model's text reply through CheckOutput.
func CheckReply(g *auraguard.Guard, text string) (ReplyCheck, error) {
	d, err := g.CheckOutput(text)
	if err != nil || d == nil {
		return ReplyCheck{}, err
	}
	switch d.Action {
	case auraguard.Escalate, auraguard.Finalize:
		return ReplyCheck{Stop: &StopError{Decision: *d}}, nil
	case auraguard.Rewrite:
		return ReplyCheck{Rewrite: d.InjectedSystem}, nil
	}
	return ReplyCheck{}, nil
}

// AdapterOptions are the settings every framework adapter takes.
type AdapterOptions struct {
	// CallOptions gives the options of each tool call's check, for example
	// auraguard.WithTicket from the arguments.
	CallOptions func(tool string, args json.RawMessage) []auraguard.CallOption
	// MaxRewrites bounds how often a guarded model is asked again in one
	// call after a Rewrite; past it the last reply is returned as it is.
	MaxRewrites int
}

// NewAdapterOptions applies opts over the defaults (MaxRewrites 3).
func NewAdapterOptions(opts []func(*AdapterOptions)) AdapterOptions {
	o := AdapterOptions{MaxRewrites: 3}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// ForCall is the check options of one call.
func (o AdapterOptions) ForCall(tool string, args json.RawMessage) []auraguard.CallOption {
	if o.CallOptions == nil {
		return nil
	}
	return o.CallOptions(tool, args)
}

// WithCallOptions sets AdapterOptions.CallOptions.
func WithCallOptions(fn func(tool string, args json.RawMessage) []auraguard.CallOption) func(*AdapterOptions) {
	return func(o *AdapterOptions) { o.CallOptions = fn }
}

// WithMaxRewrites sets AdapterOptions.MaxRewrites.
func WithMaxRewrites(n int) func(*AdapterOptions) {
	return func(o *AdapterOptions) { o.MaxRewrites = n }
}

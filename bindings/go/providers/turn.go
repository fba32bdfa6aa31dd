package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// ToolFunc runs one tool on the call's arguments (a JSON object, nil when
// the model sent none). A string value is sent to the model as it is,
// anything else as its JSON.
type ToolFunc func(ctx context.Context, arguments json.RawMessage) (any, error)

// TurnOptions adjust RunTurn.
type TurnOptions struct {
	// Parallel runs the allowed calls of the turn at once. The calls are
	// still checked one by one in the model's order, so the decisions are
	// those of a sequential run, and each result is recorded under its
	// decision's call id. The guard must let that many calls wait for their
	// results: set Config.Concurrency (or max_pending_calls) to at least
	// the number of calls a turn may hold.
	Parallel bool
	// CallOptions gives the options of one call's check, for example
	// auraguard.WithTicket from its arguments. Nil: none.
	CallOptions func(ToolCall) []auraguard.CallOption
	// Classify turns a tool's error into the failure that is recorded.
	// Nil: auraguard.Classify.
	Classify func(error) auraguard.Failure
}

// CallOutcome is what became of one call of the turn.
type CallOutcome struct {
	CallDecision
	// Ran says whether the tool ran; Value and Err are what it returned.
	Ran   bool
	Value any
	Err   error
	// RecordErr is set when the guard refused the outcome (a value too
	// large to store is recorded without its payload first).
	RecordErr error
	// Reply is what the model is sent for this call.
	Reply ToolResult
}

// Turn is a whole turn's outcome.
type Turn struct {
	// Calls are in the model's order, one per call.
	Calls []CallOutcome
	// Stop is the Escalate or Finalize decision that ended the turn, or
	// nil. The calls after it did not run (their replies say so); stop the
	// agent and act on it.
	Stop *auraguard.Decision
	// Rewrites are the texts of the Rewrite decisions, once each, for a
	// host that adds them as a system message (SystemMessage).
	Rewrites []string
}

// Results are the replies of the turn, in the order of the calls.
func (t Turn) Results() []ToolResult {
	out := make([]ToolResult, len(t.Calls))
	for i, c := range t.Calls {
		out[i] = c.Reply
	}
	return out
}

// Messages are the replies in a provider's shape, ready to append to the
// transcript: see ResultMessages.
func (t Turn) Messages(format Format) ([]json.RawMessage, error) {
	return ResultMessages(format, t.Results())
}

// RunTurn reads the tool calls of a provider response and runs the turn:
// see RunCalls.
func RunTurn(ctx context.Context, g *auraguard.Guard, format Format, response []byte,
	tools map[string]ToolFunc, opts TurnOptions) (Turn, error) {
	calls, err := ReadCalls(format, response)
	if err != nil {
		return Turn{}, err
	}
	return RunCalls(ctx, g, calls, tools, opts)
}

// RunCalls runs one turn's tool calls under the guard: each call is
// checked in order; an allowed call runs (at once, or with the others when
// opts.Parallel) and its outcome is recorded; every call gets a reply,
// including the ones that did not run: a cached result, an error result
// that tells the model why, or, for a call with no function in tools, an
// error result that names the tool. After an Escalate or Finalize no later
// call is checked or run, and Turn.Stop says why.
//
// The error is for the guard itself failing (a closed guard, a strict-mode
// misuse) or ctx being cancelled before a check; the turn so far is
// returned with it. A tool's panic is recorded as a failure (code "panic")
// and raised again once the other calls are done.
func RunCalls(ctx context.Context, g *auraguard.Guard, calls []ToolCall,
	tools map[string]ToolFunc, opts TurnOptions) (Turn, error) {
	t := Turn{Calls: make([]CallOutcome, 0, len(calls))}
	var pending []int // allowed calls waiting to run (parallel)
	var err error
	for _, call := range calls {
		if t.Stop != nil {
			t.Calls = append(t.Calls, skipped(call, *t.Stop))
			continue
		}
		if err = ctx.Err(); err != nil {
			break
		}
		var out CallOutcome
		out, err = decideCall(g, call, tools, opts)
		if err != nil {
			break
		}
		t.Calls = append(t.Calls, out)
		i := len(t.Calls) - 1
		switch {
		case out.Run && opts.Parallel:
			pending = append(pending, i)
		case out.Run:
			if p := execute(ctx, g, tools[call.Name], &t.Calls[i], opts); p != nil {
				panic(p)
			}
		case out.Stop:
			d := out.Decision
			t.Stop = &d
		}
		if out.Decision.Action == auraguard.Rewrite && out.Decision.InjectedSystem != "" {
			t.Rewrites = appendOnce(t.Rewrites, out.Decision.InjectedSystem)
		}
	}
	// Allowed calls wait for their results even when a later check failed.
	if p := runParallel(ctx, g, tools, t.Calls, pending, opts); p != nil {
		panic(p)
	}
	return t, err
}

// decideCall checks one call, refusing a tool with no function unchecked.
func decideCall(g *auraguard.Guard, call ToolCall, tools map[string]ToolFunc, opts TurnOptions) (CallOutcome, error) {
	if call.Err == nil && tools[call.Name] == nil {
		r := errorResult(call, fmt.Sprintf("Not run: there is no tool named %q. Use one of the tools you were given.", call.Name))
		return CallOutcome{CallDecision: CallDecision{Call: call, Result: r}, Reply: *r}, nil
	}
	var callOpts []auraguard.CallOption
	if opts.CallOptions != nil && call.Err == nil {
		callOpts = opts.CallOptions(call)
	}
	cd, err := Decide(g, call, callOpts...)
	if err != nil {
		return CallOutcome{}, err
	}
	out := CallOutcome{CallDecision: cd}
	if cd.Result != nil {
		out.Reply = *cd.Result
	}
	return out, nil
}

// skipped answers a call that came after the turn was stopped.
func skipped(call ToolCall, stop auraguard.Decision) CallOutcome {
	r := errorResult(call, fmt.Sprintf(
		"Not run: the turn was stopped before this call (%s, %s); call no more tools.", stop.Action, stop.Reason))
	return CallOutcome{CallDecision: CallDecision{Call: call, Result: r}, Reply: *r}
}

// runParallel runs the pending calls at once and returns the first panic.
func runParallel(ctx context.Context, g *auraguard.Guard, tools map[string]ToolFunc,
	calls []CallOutcome, pending []int, opts TurnOptions) any {
	panics := make([]any, len(pending))
	var wg sync.WaitGroup
	for n, i := range pending {
		wg.Add(1)
		go func(n, i int) {
			defer wg.Done()
			panics[n] = execute(ctx, g, tools[calls[i].Call.Name], &calls[i], opts)
		}(n, i)
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			return p
		}
	}
	return nil
}

// execute runs an allowed call, records its outcome under its call id and
// sets its reply. It returns the tool's panic, already recorded.
func execute(ctx context.Context, g *auraguard.Guard, fn ToolFunc, out *CallOutcome, opts TurnOptions) (panicked any) {
	d := out.Decision
	finished := false
	defer func() {
		if finished {
			return
		}
		panicked = recover()
		out.Err = fmt.Errorf("the tool panicked: %v", panicked)
		out.RecordErr = recordFailure(g, d, auraguard.Failure{Code: "panic", Outcome: auraguard.OutcomeUnknown})
		out.Reply = *errorResult(out.Call, "The tool failed: it crashed.")
	}()
	out.Ran = true
	out.Value, out.Err = fn(ctx, out.Call.ArgumentsJSON())
	finished = true
	if out.Err != nil {
		classify := opts.Classify
		if classify == nil {
			classify = auraguard.Classify
		}
		f := classify(out.Err)
		if f.Code == "" {
			f.Code = auraguard.DefaultErrorCode
		}
		out.RecordErr = recordFailure(g, d, f)
		out.Reply = *errorResult(out.Call, "The tool failed: "+out.Err.Error())
		return nil
	}
	payload, err := json.Marshal(out.Value)
	if err != nil {
		out.RecordErr = fmt.Errorf("the value of %s cannot be written as JSON: %w", out.Call.Name, err)
		out.RecordErr = recordSuccess(g, d, nil, out.RecordErr)
		out.Reply = ToolResult{CallID: out.Call.ID, Name: out.Call.Name, Content: fmt.Sprint(out.Value)}
		return nil
	}
	out.RecordErr = recordSuccess(g, d, payload, nil)
	out.Reply = ToolResult{CallID: out.Call.ID, Name: out.Call.Name, Content: payloadText(payload)}
	return nil
}

// recordSuccess records a success with its payload, or without it when the
// guard refuses the payload (or there is none to give); it returns why the
// payload was not stored, or nil.
func recordSuccess(g *auraguard.Guard, d auraguard.Decision, payload []byte, why error) error {
	if why == nil {
		why = g.RecordResult(auraguard.Result{OK: true, Payload: json.RawMessage(payload), CallID: d.CallID})
		if why == nil {
			return nil
		}
	}
	if again := g.RecordResult(auraguard.Result{OK: true, CallID: d.CallID}); again != nil {
		return fmt.Errorf("%w; recording without the payload failed too: %v", why, again)
	}
	return why
}

// recordFailure records a failed call; a side-effect call (one with an
// idempotency key) whose outcome is not known to be "not executed" is
// recorded as executed, so that it is never allowed again.
func recordFailure(g *auraguard.Guard, d auraguard.Decision, f auraguard.Failure) error {
	r := auraguard.Result{OK: false, ErrorCode: f.Code, CallID: d.CallID}
	if d.IdempotencyKey != "" || f.Outcome != auraguard.OutcomeUnknown {
		executed := f.Outcome != auraguard.NotExecuted
		r.SideEffectExecuted = &executed
	}
	return g.RecordResult(r)
}

func appendOnce(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

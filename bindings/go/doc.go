// Package auraguard guards the tool calls of an AI agent: before each call
// the guard answers, in microseconds and deterministically, whether to
// execute it (Allow), refuse it (Block), reuse an earlier result (Cache),
// tell the model something (Rewrite), hand the run to a person (Escalate) or
// end it (Finalize). It stops tool loops, retry storms, duplicate side
// effects, stalls and budget overruns.
//
// The agent loop is check, execute, record:
//
//	d, err := guard.CheckTool("get_order", map[string]any{"order_id": "A1"}, auraguard.WithTicket("T-1"))
//	switch d.Action {
//	case auraguard.Allow:
//		out, err := getOrder("A1")
//		guard.RecordResult(auraguard.Result{OK: err == nil, Payload: out, CallID: d.CallID})
//	case auraguard.Cache:
//		// reuse d.CachedResult.Payload
//	case auraguard.Rewrite:
//		// add d.InjectedSystem to the prompt and ask the model again
//	default:
//		// Block: tell the model; Escalate / Finalize: end the run
//	}
//
// Run (auraguard.Run[T], or the method Guard.Run) does the three steps for
// one call with a context: it records a failure under the class Classify
// gives its error, records a side-effect tool whose outcome is unknown (a
// timeout after the request left) as executed so a retry never runs it
// twice, and decodes a replay into T. CheckOutput checks an assistant
// message for a stall before it is sent.
//
// A Guard is safe for concurrent use by many goroutines; calls on one guard
// are serialized inside the library. Set Config.Concurrency to the number of
// goroutines that run tools through it at once: it sizes MaxPendingCalls so
// that no allowed call is pushed out before its result is recorded, and Run
// returns ErrBusy beyond it. With your own CheckTool/RecordResult loop, pass
// each decision's CallID to RecordResult.
//
// Errors from the library are *Error values that match ErrInvalidArgument,
// ErrConfig, ErrMisuse, ErrState or ErrInternal with errors.Is; a Guard
// used after Close returns ErrClosed.
//
// The package wraps the native libauraguard through cgo. Inside the
// repository it links target/release after `make build`; with the build tag
// auraguard_pkgconfig it links an installed library found by pkg-config
// (see README.md).
package auraguard

package auraguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// Outcome says whether a failed call's side effect may have happened.
type Outcome int

const (
	// OutcomeUnknown: the call may have reached the other side (a timeout, a
	// connection reset after sending, a cancellation mid-call). A side-effect
	// tool is recorded as executed, so the guard never allows it again.
	OutcomeUnknown Outcome = iota
	// NotExecuted: the call certainly did not act (connection refused, a
	// name that does not resolve, an HTTP error status).
	NotExecuted
	// Executed: the side effect happened although the call failed.
	Executed
)

// Failure is how Run records a failed tool call: the error class the
// guard's retry and quarantine rules read ("timeout", "connection_error",
// "429", "503", ...) and whether the side effect may have happened.
type Failure struct {
	Code    string
	Outcome Outcome
}

// The error codes Run records for failures of the language itself.
const (
	CodeTimeout         = "timeout"
	CodeConnectionError = "connection_error"
	CodeCancelled       = "cancelled"
	// DefaultErrorCode is the code of an error that nothing classifies.
	DefaultErrorCode = "error"
)

// ErrorCoder is implemented by errors that know their error code ("429",
// "503", "timeout", ...). It takes precedence over Classify's mapping.
type ErrorCoder interface {
	ErrorCode() string
}

// SideEffectReporter is implemented by errors that know whether the side
// effect happened despite the failure; it takes precedence over the
// outcome Classify infers.
type SideEffectReporter interface {
	SideEffectExecuted() bool
}

// ToolError is an error a tool returns to say exactly how it failed: Run
// records Code and, for a side-effect tool, Outcome. Err is the cause.
type ToolError struct {
	Code    string
	Outcome Outcome
	Err     error
}

func (e *ToolError) Error() string {
	if e.Err == nil {
		return "tool failed: " + e.Code
	}
	return e.Err.Error()
}

func (e *ToolError) Unwrap() error { return e.Err }

// ErrorCode implements ErrorCoder.
func (e *ToolError) ErrorCode() string { return e.Code }

// HTTPStatusError is an HTTP response with an error status, recorded under
// its status code ("429", "503"). Build it with CheckHTTPResponse.
type HTTPStatusError struct {
	StatusCode int
	Status     string
}

func (e *HTTPStatusError) Error() string { return "HTTP " + e.Status }

// ErrorCode implements ErrorCoder.
func (e *HTTPStatusError) ErrorCode() string { return strconv.Itoa(e.StatusCode) }

// CheckHTTPResponse returns nil for a response below 400 and an
// *HTTPStatusError otherwise, for a tool to return as its error.
func CheckHTTPResponse(resp *http.Response) error {
	if resp == nil || resp.StatusCode < 400 {
		return nil
	}
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(resp.StatusCode)
	}
	return &HTTPStatusError{StatusCode: resp.StatusCode, Status: status}
}

// Classify is the mapping Run uses unless Guard.SetErrorClassifier replaces
// it. See the README for the table; in short:
//
//   - ErrorCoder's code and SideEffectReporter's answer come first.
//   - context.DeadlineExceeded, a net.Error or any error with Timeout() true:
//     "timeout", outcome unknown (a dial timeout: not executed).
//   - context.Canceled: "cancelled", outcome unknown.
//   - syscall.ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, *net.DNSError, a
//     failed dial: "connection_error", not executed.
//   - syscall.ECONNRESET, EPIPE, ECONNABORTED, an unexpected EOF:
//     "connection_error", outcome unknown.
//   - *HTTPStatusError, or any error with a StatusCode() int method: the
//     status ("503"), not executed.
//   - anything else: DefaultErrorCode, outcome unknown.
//
// Errors are unwrapped (*url.Error, *net.OpError, fmt.Errorf's %w).
func Classify(err error) Failure {
	f := classifyKnown(err)
	var coder ErrorCoder
	if errors.As(err, &coder) {
		if code := coder.ErrorCode(); code != "" {
			f.Code = code
		}
	}
	var te *ToolError
	if errors.As(err, &te) {
		f.Outcome = te.Outcome
	}
	var se SideEffectReporter
	if errors.As(err, &se) {
		f.Outcome = NotExecuted
		if se.SideEffectExecuted() {
			f.Outcome = Executed
		}
	}
	return f
}

func classifyKnown(err error) Failure {
	var status interface{ StatusCode() int }
	var httpErr *HTTPStatusError
	var dns *net.DNSError
	var op *net.OpError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &httpErr):
		return Failure{strconv.Itoa(httpErr.StatusCode), NotExecuted}
	case errors.As(err, &status):
		return Failure{strconv.Itoa(status.StatusCode()), NotExecuted}
	case errors.Is(err, context.DeadlineExceeded):
		return Failure{CodeTimeout, OutcomeUnknown}
	case errors.Is(err, context.Canceled):
		return Failure{CodeCancelled, OutcomeUnknown}
	case errors.As(err, &dns):
		if dns.IsTimeout {
			return Failure{CodeTimeout, NotExecuted}
		}
		return Failure{CodeConnectionError, NotExecuted}
	case errors.As(err, &op) && op.Op == "dial":
		if op.Timeout() {
			return Failure{CodeTimeout, NotExecuted}
		}
		return Failure{CodeConnectionError, NotExecuted}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return Failure{CodeConnectionError, NotExecuted}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.ErrUnexpectedEOF):
		return Failure{CodeConnectionError, OutcomeUnknown}
	case errors.As(err, &timeout) && timeout.Timeout():
		return Failure{CodeTimeout, OutcomeUnknown}
	}
	return Failure{DefaultErrorCode, OutcomeUnknown}
}

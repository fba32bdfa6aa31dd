package auraguard

import (
	"encoding/json"
	"strconv"
)

// Result is the outcome of an allowed tool call, for RecordResult.
type Result struct {
	// OK is false when the tool failed.
	OK bool
	// Payload is the tool's output, anything encoding/json accepts
	// (json.RawMessage included); it is what a later Cache decision returns.
	Payload any
	// ErrorCode classifies a failure: an HTTP status ("429", "503"),
	// "timeout", "connection_error", or any code of your own.
	ErrorCode string
	// SideEffectExecuted says whether a side effect may have happened; set it
	// when a call failed after the request was sent (a timeout). Nil lets the
	// engine decide (a side effect that succeeded).
	SideEffectExecuted *bool
	// CallID is the allowed decision's CallID; nil means the most recent
	// call awaiting a result.
	CallID *uint64
}

// MarshalJSON writes the object auraguard_record_result reads, leaving out
// what is unset.
func (r Result) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil)
}

// appendJSON builds the object by hand: RecordResult runs once per tool
// call, and only the payload needs encoding/json.
func (r Result) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, `{"ok":`...)
	buf = strconv.AppendBool(buf, r.OK)
	if r.Payload != nil {
		payload, err := json.Marshal(r.Payload)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"payload":`...)
		buf = append(buf, payload...)
	}
	if r.ErrorCode != "" {
		code, err := json.Marshal(r.ErrorCode)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"error_code":`...)
		buf = append(buf, code...)
	}
	if r.SideEffectExecuted != nil {
		buf = append(buf, `,"side_effect_executed":`...)
		buf = strconv.AppendBool(buf, *r.SideEffectExecuted)
	}
	if r.CallID != nil {
		buf = append(buf, `,"call_id":`...)
		buf = strconv.AppendUint(buf, *r.CallID, 10)
	}
	return append(buf, '}'), nil
}

package auraguard

import "encoding/json"

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
	type wire struct {
		OK                 bool    `json:"ok"`
		Payload            any     `json:"payload,omitempty"`
		ErrorCode          string  `json:"error_code,omitempty"`
		SideEffectExecuted *bool   `json:"side_effect_executed,omitempty"`
		CallID             *uint64 `json:"call_id,omitempty"`
	}
	return json.Marshal(wire{r.OK, r.Payload, r.ErrorCode, r.SideEffectExecuted, r.CallID})
}

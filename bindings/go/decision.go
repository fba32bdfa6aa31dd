package auraguard

import (
	"encoding/json"
	"fmt"
)

// Action is what the agent should do with a tool call or a message.
type Action string

// The actions a Decision may carry.
const (
	// Allow: execute the tool, then report with RecordResult (pass CallID).
	Allow Action = "allow"
	// Block: do not execute; tell the model the call was refused.
	Block Action = "block"
	// Cache: do not execute; reuse Decision.CachedResult.
	Cache Action = "cache"
	// Rewrite: do not execute; add Decision.InjectedSystem to the prompt and
	// ask the model again.
	Rewrite Action = "rewrite"
	// Escalate: stop the run and hand Decision.EscalationPacket to a human.
	Escalate Action = "escalate"
	// Finalize: stop the run and send Decision.FinalizedOutput.
	Finalize Action = "finalize"
)

// Decision is the guard's answer to a tool call or an assistant message.
// Only the fields of its Action are set.
type Decision struct {
	Action Action `json:"action"`
	// Reason is a stable code such as "identical_toolcall_loop" or
	// "tool_quarantined:arg_jitter_loop" ("allow" or "shadow_allow" on allow).
	Reason string `json:"reason"`
	// InjectedSystem is the system text to add on Rewrite.
	InjectedSystem string `json:"injected_system,omitempty"`
	// CachedResult is the stored result to reuse on Cache.
	CachedResult *CachedResult `json:"cached_result,omitempty"`
	// EscalationPacket is what a human needs on Escalate.
	EscalationPacket *EscalationPacket `json:"escalation_packet,omitempty"`
	// FinalizedOutput is the reply to send on Finalize.
	FinalizedOutput *FinalizedOutput `json:"finalized_output,omitempty"`
	// CallID is set on every Allow; report the result under it.
	CallID *uint64 `json:"call_id,omitempty"`
	// IdempotencyKey (32 hex characters) is set on an allowed side-effect
	// call: hand it to the downstream API so a retry cannot act twice.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// LeaseMs is set on an allowed side-effect call that reserved its key:
	// how long the reservation holds before its outcome counts as unknown.
	LeaseMs *uint64 `json:"lease_ms,omitempty"`
	// RetryAfterMs is set on a side_effect_in_flight block: when the
	// holder's lease ends.
	RetryAfterMs *uint64 `json:"retry_after_ms,omitempty"`
	// Warning is set on an allowed call that a detector would have refused
	// but warns about first (Config.WarnBeforeEnforce): show its Message to
	// the model.
	Warning *DecisionWarning `json:"warning,omitempty"`
}

// Allowed reports whether the tool should be executed now.
func (d Decision) Allowed() bool { return d.Action == Allow }

func (d Decision) String() string {
	return fmt.Sprintf("%s (%s)", d.Action, d.Reason)
}

// CachedResult is a stored result handed back instead of executing again.
type CachedResult struct {
	OK                 bool            `json:"ok"`
	Payload            json.RawMessage `json:"payload"`
	ErrorCode          *string         `json:"error_code"`
	Cached             bool            `json:"cached"`
	SideEffectExecuted bool            `json:"side_effect_executed"`
	// PayloadKept is false when the result was booked without its payload
	// (too large, too deep, or a number beyond float64): Payload is then null.
	PayloadKept bool `json:"payload_kept"`
}

// UnmarshalJSON reads a cached result; payload_kept is absent from the
// engine's JSON when it is true.
func (c *CachedResult) UnmarshalJSON(b []byte) error {
	type plain CachedResult
	p := plain{PayloadKept: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = CachedResult(p)
	return nil
}

// EscalationPacket carries what a person needs to pick up an escalated run.
// The optional fields depend on why the run was escalated. Route, Tags and
// MissingInfo hold JSON values: the engine's tags are strings, but on a
// forced escalation they are whatever the model wrote.
type EscalationPacket struct {
	Route          json.RawMessage `json:"route"`
	Tags           []any           `json:"tags"`
	Summary        string          `json:"summary"`
	Tool           string          `json:"tool,omitempty"`
	ArgsSig        string          `json:"args_sig,omitempty"`
	Risk           string          `json:"risk,omitempty"`
	CumulativeCost *float64        `json:"cumulative_cost,omitempty"`
	ProjectedCost  *float64        `json:"projected_cost,omitempty"`
	Limit          *float64        `json:"limit,omitempty"`
	MissingInfo    []any           `json:"missing_info,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	// LimitKey names the run limit reached (max_tool_calls_per_run, ...)
	// and Used how much of it the run used.
	LimitKey string   `json:"limit_key,omitempty"`
	Used     *float64 `json:"used,omitempty"`
}

// DecisionWarning is a detector's warning: its reason code and the text for the model.
type DecisionWarning struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// FinalizedOutput is the final answer the model gave when told to stop.
type FinalizedOutput struct {
	ReplyDraft string `json:"reply_draft"`
	Reason     string `json:"reason"`
}

func parseDecision(raw []byte) (Decision, error) {
	var d Decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return Decision{}, &Error{Status: StatusInternal, Message: "unreadable decision from the library: " + err.Error()}
	}
	return d, nil
}

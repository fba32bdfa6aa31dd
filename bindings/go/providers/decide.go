package providers

import (
	"fmt"
	"strings"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

// ToolResult is the answer to one tool call, before it is put in a
// provider's shape: Content is the text the model reads.
type ToolResult struct {
	CallID  string
	Name    string
	Content string
	// IsError marks a result that is not the tool's output (Anthropic's
	// is_error; the OpenAI formats carry it in the text only).
	IsError bool
}

// CallDecision is the guard's answer to one tool call.
type CallDecision struct {
	Call ToolCall
	// Decision is the guard's; its Action is "" when the call was never
	// checked (bad arguments, an unknown tool, a turn already stopped).
	Decision auraguard.Decision
	// Run says that the tool must run now, and its result be recorded
	// under Decision.CallID.
	Run bool
	// Result is set when the tool does not run: the result to send back.
	Result *ToolResult
	// Stop is set on Escalate and Finalize: the turn ends here. On Escalate
	// hand Decision.EscalationPacket to a person; on Finalize send
	// Decision.FinalizedOutput.ReplyDraft as the final answer.
	Stop bool
}

// Decide asks the guard about one call and, when the tool must not run,
// gives the result to send back. A call with bad arguments is not checked:
// it gets an error result that asks the model for a valid call. The error
// is the guard's own (a closed guard, a misuse in strict mode).
func Decide(g *auraguard.Guard, call ToolCall, opts ...auraguard.CallOption) (CallDecision, error) {
	if call.Err != nil {
		return CallDecision{Call: call, Result: errorResult(call, InvalidArgumentsText(call.Err))}, nil
	}
	d, err := g.CheckTool(call.Name, call.ArgumentsJSON(), opts...)
	if err != nil {
		return CallDecision{}, fmt.Errorf("providers: checking %s (%s): %w", call.Name, call.ID, err)
	}
	return decided(call, d), nil
}

// InvalidArgumentsText is what the model reads for a call whose arguments
// could not be read (ToolCall.Err): the call did not run, and why.
func InvalidArgumentsText(err error) string {
	return "Not run: " + err.Error() + ". Call the tool again with its arguments as one valid JSON object."
}

// decided turns a decision into a CallDecision.
func decided(call ToolCall, d auraguard.Decision) CallDecision {
	cd := CallDecision{Call: call, Decision: d}
	switch d.Action {
	case auraguard.Allow:
		cd.Run = true
		return cd
	case auraguard.Escalate, auraguard.Finalize:
		cd.Stop = true
	}
	text, isError := ReplyText(call.Name, d)
	cd.Result = &ToolResult{CallID: call.ID, Name: call.Name, Content: text, IsError: isError}
	return cd
}

// ReplyText is what the model reads for a call the guard did not let run:
// the cached payload on a Cache of a successful result, otherwise an error
// text that says what happened and what to do (isError is then true). The
// framework adapters answer their denials with it.
func ReplyText(tool string, d auraguard.Decision) (text string, isError bool) {
	if d.Action == auraguard.Cache && d.CachedResult != nil {
		return cachedText(tool, d.CachedResult)
	}
	return DenialText(tool, d), true
}

// cachedText is a stored result as the reply to a call.
func cachedText(tool string, c *auraguard.CachedResult) (string, bool) {
	if !c.OK {
		code := "unknown"
		if c.ErrorCode != nil {
			code = *c.ErrorCode
		}
		return fmt.Sprintf("Not run again: %s already failed with these arguments (error %s). "+
			"Do not repeat the call; try another way or tell the user.", tool, code), true
	}
	return payloadText(c.Payload), false
}

// DenialText is what the model reads when the guard kept a tool from
// running: what happened and what to do instead.
func DenialText(tool string, d auraguard.Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Not run: the guard stopped %s (%s, %s).", tool, d.Action, d.Reason)
	switch d.Action {
	case auraguard.Block:
		if strings.HasPrefix(d.Reason, "side_effect") {
			b.WriteString(" This action was already carried out or is not allowed again in this run; do not repeat it.")
		} else {
			b.WriteString(" Do not repeat this call; use the results you already have, or try something else.")
		}
		if d.RetryAfterMs != nil {
			fmt.Fprintf(&b, " It may be tried again after %d ms.", *d.RetryAfterMs)
		}
	case auraguard.Rewrite:
		if d.InjectedSystem != "" {
			b.WriteString(" ")
			b.WriteString(d.InjectedSystem)
		} else {
			b.WriteString(" Change your approach instead of calling this tool again.")
		}
	case auraguard.Escalate:
		b.WriteString(" The conversation is handed to a person; call no more tools.")
	case auraguard.Finalize:
		b.WriteString(" The run is over; call no more tools.")
	case auraguard.Cache:
		b.WriteString(" No stored result can be reused; do not repeat the call.")
	}
	return b.String()
}

func errorResult(call ToolCall, text string) *ToolResult {
	return &ToolResult{CallID: call.ID, Name: call.Name, Content: text, IsError: true}
}

// payloadText is a payload as the text of a tool result: a JSON string is
// given as the string itself, anything else as its JSON.
func payloadText(payload []byte) string {
	if len(payload) > 0 && payload[0] == '"' {
		var s string
		if err := jsonUnmarshal(payload, &s); err == nil {
			return s
		}
	}
	if len(payload) == 0 {
		return "null"
	}
	return string(payload)
}

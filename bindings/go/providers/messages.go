package providers

import (
	"encoding/json"
	"fmt"
)

var jsonUnmarshal = json.Unmarshal

// ResultMessages puts tool results in a provider's shape, in order:
//   - OpenAIChat: one {"role":"tool","tool_call_id","content"} message each;
//   - OpenAIResponses: one {"type":"function_call_output","call_id","output"}
//     input item each;
//   - AnthropicMessages: one user message whose content is a tool_result
//     block per result ({"type":"tool_result","tool_use_id","content",
//     "is_error"}), as Anthropic wants all results of a turn together.
//
// No results give no messages.
func ResultMessages(format Format, results []ToolResult) ([]json.RawMessage, error) {
	if len(results) == 0 {
		if format == OpenAIChat || format == OpenAIResponses || format == AnthropicMessages {
			return nil, nil
		}
		return nil, unknownFormat(format)
	}
	var out []json.RawMessage
	switch format {
	case OpenAIChat:
		for _, r := range results {
			out = append(out, mustJSON(chatToolMessage{Role: "tool", ToolCallID: r.CallID, Content: r.Content}))
		}
	case OpenAIResponses:
		for _, r := range results {
			out = append(out, mustJSON(functionCallOutput{Type: "function_call_output", CallID: r.CallID, Output: r.Content}))
		}
	case AnthropicMessages:
		blocks := make([]toolResultBlock, len(results))
		for i, r := range results {
			blocks[i] = toolResultBlock{Type: "tool_result", ToolUseID: r.CallID, Content: r.Content, IsError: r.IsError}
		}
		out = append(out, mustJSON(anthropicUserMessage{Role: "user", Content: blocks}))
	default:
		return nil, unknownFormat(format)
	}
	return out, nil
}

// SystemMessage is an instruction (a Rewrite decision's InjectedSystem) in
// a provider's shape, for a host that adds it to the next request:
//   - OpenAIChat: a {"role":"system"} message (role may be "developer" for
//     the models that take developer messages; "" means "system");
//   - OpenAIResponses: a {"type":"message","role":"developer"} input item
//     (role "" means "developer");
//   - AnthropicMessages: a {"type":"text"} block for the request's
//     top-level system field, as the Messages API has no system role.
func SystemMessage(format Format, text, role string) (json.RawMessage, error) {
	switch format {
	case OpenAIChat:
		if role == "" {
			role = "system"
		}
		if role != "system" && role != "developer" {
			return nil, fmt.Errorf("providers: a %s instruction has role system or developer, not %q", format, role)
		}
		return mustJSON(map[string]string{"role": role, "content": text}), nil
	case OpenAIResponses:
		if role == "" {
			role = "developer"
		}
		if role != "system" && role != "developer" {
			return nil, fmt.Errorf("providers: a %s instruction has role system or developer, not %q", format, role)
		}
		return mustJSON(map[string]string{"type": "message", "role": role, "content": text}), nil
	case AnthropicMessages:
		if role != "" && role != "system" {
			return nil, fmt.Errorf("providers: a %s instruction goes in the system field; role %q has no meaning", format, role)
		}
		return mustJSON(map[string]string{"type": "text", "text": text}), nil
	}
	return nil, unknownFormat(format)
}

type chatToolMessage struct {
	Role       string `json:"role"`
	ToolCallID string `json:"tool_call_id"`
	Content    string `json:"content"`
}

type functionCallOutput struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	Output string `json:"output"`
}

type toolResultBlock struct {
	Type      string `json:"type"`
	ToolUseID string `json:"tool_use_id"`
	Content   string `json:"content"`
	IsError   bool   `json:"is_error"`
}

type anthropicUserMessage struct {
	Role    string            `json:"role"`
	Content []toolResultBlock `json:"content"`
}

// mustJSON encodes the package's own message types, which always encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("providers: encoding a message: " + err.Error())
	}
	return b
}

package providers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Format names a provider API's wire format.
type Format string

// The formats the helpers read and write.
const (
	// OpenAIChat: Chat Completions, choices[0].message.tool_calls[]; a
	// result is a {"role":"tool","tool_call_id":...} message.
	OpenAIChat Format = "openai_chat"
	// OpenAIResponses: Responses, output[] items of type function_call; a
	// result is a {"type":"function_call_output","call_id":...} item.
	OpenAIResponses Format = "openai_responses"
	// AnthropicMessages: Messages, content[] blocks of type tool_use; the
	// results are tool_result blocks of one user message.
	AnthropicMessages Format = "anthropic_messages"
)

// ToolCall is one tool call the model made.
type ToolCall struct {
	// ID is what the result must name: tool_call_id (Chat), call_id
	// (Responses) or tool_use_id (Anthropic).
	ID   string
	Name string
	// Arguments is the JSON text the provider sent (for Anthropic, the
	// input object as it appeared in the response).
	Arguments string
	// Err is set when the arguments are not a JSON object (the model wrote
	// broken JSON, or the response was cut off). Such a call is not run:
	// it is answered with an error result that asks for a valid call.
	Err error
}

// ReadCalls reads the tool calls out of a provider response, in order.
// A response with no tool call gives an empty list. The error is for a
// response that is not of the format at all; a call with bad arguments is
// not an error here but a ToolCall whose Err is set.
func ReadCalls(format Format, response []byte) ([]ToolCall, error) {
	switch format {
	case OpenAIChat:
		return readChatCalls(response)
	case OpenAIResponses:
		return readResponsesCalls(response)
	case AnthropicMessages:
		return readAnthropicCalls(response)
	}
	return nil, unknownFormat(format)
}

func unknownFormat(format Format) error {
	return fmt.Errorf("providers: unknown format %q (use %q, %q or %q)",
		string(format), OpenAIChat, OpenAIResponses, AnthropicMessages)
}

// NewToolCall builds a ToolCall from a provider's id, name and argument
// text, checking that the arguments are a JSON object (empty text counts
// as no arguments, {}). The typed SDK helpers read their calls with it.
func NewToolCall(id, name, arguments string) ToolCall {
	c := ToolCall{ID: id, Name: name, Arguments: arguments}
	c.Err = checkArguments(name, arguments)
	return c
}

// checkArguments says what is wrong with an argument text, or nil.
func checkArguments(name, arguments string) error {
	text := strings.TrimSpace(arguments)
	if text == "" {
		return nil
	}
	if !json.Valid([]byte(text)) {
		return fmt.Errorf("the arguments of %s are not valid JSON: %s", name, quoteShort(text))
	}
	if text[0] != '{' {
		return fmt.Errorf("the arguments of %s must be a JSON object, not %s", name, quoteShort(text))
	}
	return nil
}

// quoteShort quotes a text for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 120
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// ArgumentsJSON is the call's arguments for CheckTool: the JSON object, or
// nil for none.
func (c ToolCall) ArgumentsJSON() json.RawMessage {
	text := strings.TrimSpace(c.Arguments)
	if text == "" {
		return nil
	}
	return json.RawMessage(text)
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
	} `json:"choices"`
}

type responsesResponse struct {
	Output []struct {
		Type      string `json:"type"`
		CallID    string `json:"call_id"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
		Role      string `json:"role"`
		Content   []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
}

type anthropicResponse struct {
	Type    string `json:"type"`
	Content []struct {
		Type  string          `json:"type"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
		Text  string          `json:"text"`
	} `json:"content"`
}

func decode(format Format, response []byte, v any) error {
	if err := json.Unmarshal(response, v); err != nil {
		return fmt.Errorf("providers: the response is not a %s response: %w", format, err)
	}
	return nil
}

func readChatCalls(response []byte) ([]ToolCall, error) {
	var r chatResponse
	if err := decode(OpenAIChat, response, &r); err != nil {
		return nil, err
	}
	if len(r.Choices) == 0 {
		return nil, fmt.Errorf("providers: the %s response has no choices", OpenAIChat)
	}
	var calls []ToolCall
	for _, tc := range r.Choices[0].Message.ToolCalls {
		if tc.Type != "" && tc.Type != "function" {
			continue // a custom tool call carries free text, not a function call
		}
		calls = append(calls, NewToolCall(tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	return calls, nil
}

func readResponsesCalls(response []byte) ([]ToolCall, error) {
	var r responsesResponse
	if err := decode(OpenAIResponses, response, &r); err != nil {
		return nil, err
	}
	var calls []ToolCall
	for _, item := range r.Output {
		if item.Type == "function_call" {
			calls = append(calls, NewToolCall(item.CallID, item.Name, item.Arguments))
		}
	}
	return calls, nil
}

func readAnthropicCalls(response []byte) ([]ToolCall, error) {
	var r anthropicResponse
	if err := decode(AnthropicMessages, response, &r); err != nil {
		return nil, err
	}
	var calls []ToolCall
	for _, block := range r.Content {
		if block.Type == "tool_use" {
			calls = append(calls, AnthropicToolCall(block.ID, block.Name, block.Input))
		}
	}
	return calls, nil
}

// AnthropicToolCall builds the ToolCall of a tool_use block from its input
// as it appeared in the response. The input must be a JSON object; a string
// there (a response cut off while the model was writing the arguments) is
// the broken argument text, reported as such.
func AnthropicToolCall(id, name string, input json.RawMessage) ToolCall {
	raw := bytes.TrimSpace(input)
	if len(raw) > 0 && raw[0] == '"' {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			c := NewToolCall(id, name, text)
			if c.Err == nil {
				c.Err = fmt.Errorf("the input of %s must be a JSON object, not a string", name)
			}
			return c
		}
	}
	return NewToolCall(id, name, string(raw))
}

// ReadText returns the assistant text of a response (its text parts
// joined by newlines), "" when it has none: what to pass to CheckOutput.
func ReadText(format Format, response []byte) (string, error) {
	var parts []string
	switch format {
	case OpenAIChat:
		var r chatResponse
		if err := decode(format, response, &r); err != nil {
			return "", err
		}
		if len(r.Choices) > 0 && r.Choices[0].Message.Content != nil {
			parts = append(parts, *r.Choices[0].Message.Content)
		}
	case OpenAIResponses:
		var r responsesResponse
		if err := decode(format, response, &r); err != nil {
			return "", err
		}
		for _, item := range r.Output {
			if item.Type != "message" {
				continue
			}
			for _, c := range item.Content {
				if c.Type == "output_text" {
					parts = append(parts, c.Text)
				}
			}
		}
	case AnthropicMessages:
		var r anthropicResponse
		if err := decode(format, response, &r); err != nil {
			return "", err
		}
		for _, block := range r.Content {
			if block.Type == "text" {
				parts = append(parts, block.Text)
			}
		}
	default:
		return "", unknownFormat(format)
	}
	return strings.Join(parts, "\n"), nil
}

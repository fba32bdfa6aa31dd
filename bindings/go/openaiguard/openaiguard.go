// Package openaiguard guards the tool calls of the official OpenAI Go SDK
// (github.com/openai/openai-go/v3), for Chat Completions and Responses: it
// reads the calls of a typed response, runs the turn under the guard and
// gives the tool results as the SDK's own parameter types, one per call in
// the order of the calls, including the calls the guard did not let run.
//
// The decisions and the result texts are those of the providers package,
// which works on the raw JSON; this package only converts to and from the
// SDK's types.
package openaiguard

import (
	"context"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// ChatCalls reads the function calls of a chat completion's first choice
// (custom tool calls carry free text and are left out).
func ChatCalls(c *openai.ChatCompletion) []providers.ToolCall {
	if c == nil || len(c.Choices) == 0 {
		return nil
	}
	var calls []providers.ToolCall
	for _, tc := range c.Choices[0].Message.ToolCalls {
		if tc.Type != "" && tc.Type != "function" {
			continue
		}
		calls = append(calls, providers.NewToolCall(tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	return calls
}

// ResponseCalls reads the function_call items of a response, in order.
func ResponseCalls(r *responses.Response) []providers.ToolCall {
	if r == nil {
		return nil
	}
	var calls []providers.ToolCall
	for _, item := range r.Output {
		if item.Type == "function_call" {
			fc := item.AsFunctionCall()
			calls = append(calls, providers.NewToolCall(fc.CallID, fc.Name, fc.Arguments))
		}
	}
	return calls
}

// ChatTurn is a Chat Completions turn run under the guard.
type ChatTurn struct {
	providers.Turn
	// Messages are the tool messages to append after the assistant
	// message, one per call, in the order of the calls.
	Messages []openai.ChatCompletionMessageParamUnion
}

// RunChatTurn runs the tool calls of a chat completion under the guard
// (see providers.RunCalls) and answers each with a tool message.
func RunChatTurn(ctx context.Context, g *auraguard.Guard, c *openai.ChatCompletion,
	tools map[string]providers.ToolFunc, opts providers.TurnOptions) (ChatTurn, error) {
	turn, err := providers.RunCalls(ctx, g, ChatCalls(c), tools, opts)
	return ChatTurn{Turn: turn, Messages: ToolMessages(turn.Results())}, err
}

// ToolMessages are results as Chat Completions tool messages.
func ToolMessages(results []providers.ToolResult) []openai.ChatCompletionMessageParamUnion {
	out := make([]openai.ChatCompletionMessageParamUnion, len(results))
	for i, r := range results {
		out[i] = openai.ToolMessage(r.Content, r.CallID)
	}
	return out
}

// ResponsesTurn is a Responses turn run under the guard.
type ResponsesTurn struct {
	providers.Turn
	// Items are the function_call_output items for the next request's
	// input, one per call, in the order of the calls.
	Items []responses.ResponseInputItemUnionParam
}

// RunResponsesTurn runs the function calls of a response under the guard
// (see providers.RunCalls) and answers each with a function_call_output.
func RunResponsesTurn(ctx context.Context, g *auraguard.Guard, r *responses.Response,
	tools map[string]providers.ToolFunc, opts providers.TurnOptions) (ResponsesTurn, error) {
	turn, err := providers.RunCalls(ctx, g, ResponseCalls(r), tools, opts)
	return ResponsesTurn{Turn: turn, Items: FunctionCallOutputs(turn.Results())}, err
}

// FunctionCallOutputs are results as Responses function_call_output items.
func FunctionCallOutputs(results []providers.ToolResult) []responses.ResponseInputItemUnionParam {
	out := make([]responses.ResponseInputItemUnionParam, len(results))
	for i, r := range results {
		item := responses.ResponseInputItemParamOfFunctionCallOutput(r.Content)
		item.OfFunctionCallOutput.CallID = openai.String(r.CallID)
		out[i] = item
	}
	return out
}

// ChatText is the text of a chat completion's first choice, for CheckOutput.
func ChatText(c *openai.ChatCompletion) string {
	if c == nil || len(c.Choices) == 0 {
		return ""
	}
	return c.Choices[0].Message.Content
}

// SystemMessage is a Rewrite decision's text as a Chat Completions system
// message; DeveloperMessage is the same for the models that read
// developer messages.
func SystemMessage(text string) openai.ChatCompletionMessageParamUnion {
	return openai.SystemMessage(text)
}

// DeveloperMessage is a Rewrite decision's text as a developer message.
func DeveloperMessage(text string) openai.ChatCompletionMessageParamUnion {
	return openai.DeveloperMessage(text)
}

// DeveloperItem is a Rewrite decision's text as a Responses developer
// message item.
func DeveloperItem(text string) responses.ResponseInputItemUnionParam {
	return responses.ResponseInputItemParamOfMessage(text, responses.EasyInputMessageRoleDeveloper)
}

// Package anthropicguard guards the tool calls of the official Anthropic
// Go SDK (github.com/anthropics/anthropic-sdk-go/v2): it reads the tool_use
// blocks of a typed message, runs the turn under the guard and gives back
// the one user message of tool_result blocks that answers every call, in
// the order of the calls, including the calls the guard did not let run.
//
// The decisions and the result texts are those of the providers package,
// which works on the raw JSON; this package only converts to and from the
// SDK's types.
package anthropicguard

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
)

// Calls reads the tool_use blocks of a message, in order. An input that is
// not a JSON object gives a call whose Err says so.
func Calls(m *anthropic.Message) []providers.ToolCall {
	if m == nil {
		return nil
	}
	var calls []providers.ToolCall
	for _, block := range m.Content {
		if block.Type == "tool_use" {
			calls = append(calls, providers.AnthropicToolCall(block.ID, block.Name, block.Input))
		}
	}
	return calls
}

// Text is the message's text blocks joined by newlines, for CheckOutput.
func Text(m *anthropic.Message) string {
	if m == nil {
		return ""
	}
	text := ""
	for _, block := range m.Content {
		if block.Type == "text" {
			if text != "" {
				text += "\n"
			}
			text += block.Text
		}
	}
	return text
}

// Turn is a Messages turn run under the guard.
type Turn struct {
	providers.Turn
	// Message is the user message of tool_result blocks to append after
	// the assistant message; nil when the model made no tool call.
	Message *anthropic.MessageParam
}

// RunTurn runs the tool calls of a message under the guard (see
// providers.RunCalls) and answers them all in one user message.
func RunTurn(ctx context.Context, g *auraguard.Guard, m *anthropic.Message,
	tools map[string]providers.ToolFunc, opts providers.TurnOptions) (Turn, error) {
	turn, err := providers.RunCalls(ctx, g, Calls(m), tools, opts)
	return Turn{Turn: turn, Message: ResultMessage(turn.Results())}, err
}

// ResultMessage is results as one user message of tool_result blocks
// (is_error set on the results that are not the tool's output), or nil for
// no results.
func ResultMessage(results []providers.ToolResult) *anthropic.MessageParam {
	if len(results) == 0 {
		return nil
	}
	blocks := make([]anthropic.ContentBlockParamUnion, len(results))
	for i, r := range results {
		blocks[i] = anthropic.NewToolResultBlock(r.CallID, r.Content, r.IsError)
	}
	msg := anthropic.NewUserMessage(blocks...)
	return &msg
}

// SystemBlock is a Rewrite decision's text as a block of the request's
// System field: the Messages API has no system role in its messages.
func SystemBlock(text string) anthropic.TextBlockParam {
	return anthropic.TextBlockParam{Text: text}
}

// Package script is a scripted chat model for langchaingo: it answers each
// request with the next reply of its script, whatever was asked, and keeps
// the requests so that a test can read what the agent sent. It is the only
// fake part of the example agent.
package script

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tmc/langchaingo/llms"
)

// ErrExhausted is returned once every reply was given: the agent asked
// more often than the script foresaw.
var ErrExhausted = errors.New("script: no reply left")

// Model replays Replies in order.
type Model struct {
	Replies []llms.ContentChoice
	// Comply, when set, is the reply to a request that ends with a system
	// message (the guard's instruction): a model that does as it is told.
	Comply *llms.ContentChoice

	mu       sync.Mutex
	next     int
	requests [][]llms.MessageContent
}

// Call is a tool call reply.
func Call(id, tool, args string) llms.ContentChoice {
	return llms.ContentChoice{ToolCalls: []llms.ToolCall{{ID: id, Type: "function",
		FunctionCall: &llms.FunctionCall{Name: tool, Arguments: args}}}}
}

// Say is a text reply.
func Say(text string) llms.ContentChoice {
	return llms.ContentChoice{Content: text, StopReason: "stop"}
}

// GenerateContent returns the next reply.
func (m *Model) GenerateContent(_ context.Context, messages []llms.MessageContent, _ ...llms.CallOption) (*llms.ContentResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, messages)
	if m.Comply != nil && len(messages) > 0 && messages[len(messages)-1].Role == llms.ChatMessageTypeSystem {
		c := *m.Comply
		return &llms.ContentResponse{Choices: []*llms.ContentChoice{&c}}, nil
	}
	if m.next >= len(m.Replies) {
		return nil, fmt.Errorf("%w (request %d)", ErrExhausted, len(m.requests))
	}
	c := m.Replies[m.next]
	m.next++
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{&c}}, nil
}

// Call is the text-only interface.
func (m *Model) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}

// Requests are the requests made so far.
func (m *Model) Requests() [][]llms.MessageContent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]llms.MessageContent(nil), m.requests...)
}

// SupportScript is a support agent's run that goes wrong the usual ways: it
// looks the order up, searches the same thing three times, refunds twice
// and then keeps apologising instead of answering.
func SupportScript() []llms.ContentChoice {
	stall := "I'm sorry for the delay, I'm still checking."
	return []llms.ContentChoice{
		Call("call_1", "get_order", `{"order_id":"A1"}`),
		Call("call_2", "search_kb", `{"query":"refund policy"}`),
		Call("call_3", "search_kb", `{"query":"refund policy"}`),
		Call("call_4", "search_kb", `{"query":"refund policy"}`),
		Call("call_5", "refund", `{"order_id":"A1","amount":30}`),
		Call("call_6", "refund", `{"order_id":"A1","amount":30}`),
		Say(stall), Say(stall), Say(stall), Say(stall), Say(stall), Say(stall),
	}
}

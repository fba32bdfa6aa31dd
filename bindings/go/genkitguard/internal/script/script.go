// Package script is a scripted model for Genkit: it answers each request
// with the next message of its script, whatever was asked, and keeps the
// requests so that a test can read what the generate loop sent. It is the
// only fake part of the example agent; it is defined in the registry like
// any model, and the tools are plain Genkit tools.
package script

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

// ErrExhausted is returned once every reply was given.
var ErrExhausted = errors.New("script: no reply left")

// Model replays Replies in order.
type Model struct {
	Replies []*ai.Message
	// Comply, when set, answers a request that ends with a system message
	// (the guard's instruction): a model that does as it is told.
	Comply *ai.Message

	mu       sync.Mutex
	next     int
	requests []*ai.ModelRequest
}

// Call is a reply that calls tools, each given as name and input.
func Call(ref string, nameInput ...any) *ai.Message {
	var parts []*ai.Part
	for i := 0; i+1 < len(nameInput); i += 2 {
		parts = append(parts, ai.NewToolRequestPart(&ai.ToolRequest{
			Name: nameInput[i].(string), Input: nameInput[i+1], Ref: fmt.Sprintf("%s_%d", ref, i/2)}))
	}
	return ai.NewModelMessage(parts...)
}

// Say is a text reply.
func Say(text string) *ai.Message { return ai.NewModelTextMessage(text) }

// Define registers the model under name.
func (m *Model) Define(g *genkit.Genkit, name string) ai.Model {
	return genkit.DefineModel(g, name, &ai.ModelOptions{Supports: &ai.ModelSupports{
		Multiturn: true, Tools: true, SystemRole: true}}, m.generate)
}

func (m *Model) generate(_ context.Context, req *ai.ModelRequest, _ ai.ModelStreamCallback) (*ai.ModelResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, req)
	var msg *ai.Message
	switch last := len(req.Messages) - 1; {
	case m.Comply != nil && last >= 0 && req.Messages[last].Role == ai.RoleSystem:
		msg = m.Comply
	case m.next < len(m.Replies):
		msg = m.Replies[m.next]
		m.next++
	default:
		return nil, fmt.Errorf("%w (request %d)", ErrExhausted, len(m.requests))
	}
	return &ai.ModelResponse{Message: msg, FinishReason: ai.FinishReasonStop, Request: req}, nil
}

// Requests are the requests made so far.
func (m *Model) Requests() []*ai.ModelRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*ai.ModelRequest(nil), m.requests...)
}

// SupportScript is a support agent's run that goes wrong the usual ways: it
// looks the order up, searches the same thing three times, refunds twice
// and then keeps apologising instead of answering.
func SupportScript() []*ai.Message {
	stall := "I'm sorry for the delay, I'm still checking."
	order := map[string]any{"order_id": "A1"}
	query := map[string]any{"query": "refund policy"}
	refund := map[string]any{"order_id": "A1", "amount": 30}
	return []*ai.Message{
		Call("c1", "get_order", order),
		Call("c2", "search_kb", query),
		Call("c3", "search_kb", query),
		Call("c4", "search_kb", query),
		Call("c5", "refund", refund),
		Call("c6", "refund", refund),
		Say(stall), Say(stall), Say(stall), Say(stall), Say(stall), Say(stall),
	}
}

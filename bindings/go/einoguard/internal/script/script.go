// Package script is a scripted chat model for Eino: it answers each request
// with the next message of its script, whatever was asked, and keeps the
// requests so that a test can read what the agent sent. It is the only fake
// part of the example agent; the tools are plain Eino tools.
package script

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/schema"
)

// ErrExhausted is returned once every reply was given.
var ErrExhausted = errors.New("script: no reply left")

// Model replays Replies in order.
type Model struct {
	Replies []*schema.Message
	// Comply, when set, answers a request that ends with a system message
	// (the guard's instruction): a model that does as it is told.
	Comply *schema.Message

	mu       *sync.Mutex
	next     *int
	requests *[][]*schema.Message
}

// New is a model that replays replies.
func New(replies ...*schema.Message) *Model {
	return &Model{Replies: replies, mu: &sync.Mutex{}, next: new(int), requests: &[][]*schema.Message{}}
}

// Call is a reply that calls tools, each given as name and JSON arguments.
func Call(id string, nameArgs ...string) *schema.Message {
	var calls []schema.ToolCall
	for i := 0; i+1 < len(nameArgs); i += 2 {
		calls = append(calls, schema.ToolCall{ID: fmt.Sprintf("%s_%d", id, i/2), Type: "function",
			Function: schema.FunctionCall{Name: nameArgs[i], Arguments: nameArgs[i+1]}})
	}
	return schema.AssistantMessage("", calls)
}

// Say is a text reply.
func Say(text string) *schema.Message { return schema.AssistantMessage(text, nil) }

// Generate returns the next reply.
func (m *Model) Generate(_ context.Context, input []*schema.Message, _ ...model.Option) (*schema.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	*m.requests = append(*m.requests, input)
	if m.Comply != nil && len(input) > 0 && input[len(input)-1].Role == schema.System {
		return m.Comply, nil
	}
	if *m.next >= len(m.Replies) {
		return nil, fmt.Errorf("%w (request %d)", ErrExhausted, len(*m.requests))
	}
	msg := m.Replies[*m.next]
	*m.next++
	return msg, nil
}

// Stream gives the next reply as a stream of one message.
func (m *Model) Stream(ctx context.Context, input []*schema.Message, opts ...model.Option) (*schema.StreamReader[*schema.Message], error) {
	msg, err := m.Generate(ctx, input, opts...)
	if err != nil {
		return nil, err
	}
	return schema.StreamReaderFromArray([]*schema.Message{msg}), nil
}

// WithTools keeps the script: the tools change nothing it says.
func (m *Model) WithTools([]*schema.ToolInfo) (model.ToolCallingChatModel, error) { return m, nil }

// Requests are the requests made so far.
func (m *Model) Requests() [][]*schema.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]*schema.Message(nil), *m.requests...)
}

// Tool is an invokable tool with a fixed answer; it counts its runs.
type Tool struct {
	Name, Answer string

	mu   sync.Mutex
	runs int
}

// Info describes the tool to the model.
func (t *Tool) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.Name, Desc: "the " + t.Name + " tool"}, nil
}

// InvokableRun answers.
func (t *Tool) InvokableRun(context.Context, string, ...tool.Option) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.runs++
	return t.Answer, nil
}

// Runs is how often the tool ran.
func (t *Tool) Runs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.runs
}

// SupportScript is a support agent's run that goes wrong the usual ways: it
// looks the order up, searches the same thing three times, refunds twice
// and then keeps apologising instead of answering.
func SupportScript() []*schema.Message {
	stall := "I'm sorry for the delay, I'm still checking."
	return []*schema.Message{
		Call("c1", "get_order", `{"order_id":"A1"}`),
		Call("c2", "search_kb", `{"query":"refund policy"}`),
		Call("c3", "search_kb", `{"query":"refund policy"}`),
		Call("c4", "search_kb", `{"query":"refund policy"}`),
		Call("c5", "refund", `{"order_id":"A1","amount":30}`),
		Call("c6", "refund", `{"order_id":"A1","amount":30}`),
		Say(stall), Say(stall), Say(stall), Say(stall), Say(stall), Say(stall),
	}
}

// Package langchainguard puts the guard into agents built with langchaingo
// (github.com/tmc/langchaingo).
//
//   - Tool and Tools decorate any tools.Tool: each call is checked before it
//     runs and its result recorded. A denied call answers with an
//     observation that tells the model why (a cached result is given as
//     the tool's output), so the agent goes on and the model can change
//     course; an escalation or a forced finish returns a *StopError, which
//     ends the executor's run (agents.Executor stops at a tool's error).
//   - Model decorates an llms.Model: every reply that is text, not a tool
//     call, goes through CheckOutput. On a Rewrite the model is asked again
//     with the guard's instruction added as a system message; on an
//     escalation or a forced finish the call returns a *StopError.
package langchainguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"
)

// StopError ends the agent's run: the guard escalated (hand
// Decision.EscalationPacket to a person) or finalized (send
// Decision.FinalizedOutput.ReplyDraft). Tool is "" when the decision was
// about the model's text.
type StopError struct {
	Tool     string
	Decision auraguard.Decision
}

func (e *StopError) Error() string {
	if e.Tool == "" {
		return fmt.Sprintf("auraguard: the run was stopped: %s (%s)", e.Decision.Action, e.Decision.Reason)
	}
	return fmt.Sprintf("auraguard: the run was stopped at %s: %s (%s)", e.Tool, e.Decision.Action, e.Decision.Reason)
}

// Option adjusts Tool, Tools and Model.
type Option func(*options)

type options struct {
	callOptions func(tool string, args json.RawMessage) []auraguard.CallOption
	maxRewrites int
}

// WithCallOptions gives the options of each tool call's check, for example
// auraguard.WithTicket from the arguments.
func WithCallOptions(fn func(tool string, args json.RawMessage) []auraguard.CallOption) Option {
	return func(o *options) { o.callOptions = fn }
}

// WithMaxRewrites bounds how often Model asks again in one call after a
// Rewrite (default 3); past it the last reply is returned as it is.
func WithMaxRewrites(n int) Option {
	return func(o *options) { o.maxRewrites = n }
}

func newOptions(opts []Option) options {
	o := options{maxRewrites: 3}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// guardedTool is a tool whose calls go through the guard.
type guardedTool struct {
	tools.Tool
	guard *auraguard.Guard
	opts  options
}

// Tool guards t: its name and description are kept, and each Call is
// checked, run and recorded through the guard (auraguard.Run).
func Tool(g *auraguard.Guard, t tools.Tool, opts ...Option) tools.Tool {
	return &guardedTool{Tool: t, guard: g, opts: newOptions(opts)}
}

// Tools guards every tool of a list, in order.
func Tools(g *auraguard.Guard, list []tools.Tool, opts ...Option) []tools.Tool {
	o := newOptions(opts)
	out := make([]tools.Tool, len(list))
	for i, t := range list {
		out[i] = &guardedTool{Tool: t, guard: g, opts: o}
	}
	return out
}

// Call checks the call, runs the wrapped tool when allowed and records its
// output. The guard reads the input as the call's arguments when it is a
// JSON object (what the functions agent passes), else as {"input": text}.
func (t *guardedTool) Call(ctx context.Context, input string) (string, error) {
	args := Arguments(input)
	var callOpts []auraguard.CallOption
	if t.opts.callOptions != nil {
		callOpts = t.opts.callOptions(t.Name(), args)
	}
	out, err := auraguard.Run(ctx, t.guard, t.Name(), args, func(ctx context.Context) (string, error) {
		return t.Tool.Call(ctx, input)
	}, callOpts...)
	var denied *auraguard.DeniedError
	if errors.As(err, &denied) {
		if a := denied.Decision.Action; a == auraguard.Escalate || a == auraguard.Finalize {
			return "", &StopError{Tool: t.Name(), Decision: denied.Decision}
		}
		text, _ := providers.ReplyText(t.Name(), denied.Decision)
		return text, nil
	}
	return out, err
}

// Arguments is a tool input as the guard's arguments: the input itself when
// it is a JSON object, else {"input": input}.
func Arguments(input string) json.RawMessage {
	trimmed := strings.TrimSpace(input)
	if strings.HasPrefix(trimmed, "{") && json.Valid([]byte(trimmed)) {
		return json.RawMessage(trimmed)
	}
	raw, _ := json.Marshal(map[string]string{"input": input})
	return raw
}

// guardedModel checks the model's text replies.
type guardedModel struct {
	llms.Model
	guard *auraguard.Guard
	opts  options
}

// Model guards the text replies of m (see the package documentation).
func Model(g *auraguard.Guard, m llms.Model, opts ...Option) llms.Model {
	return &guardedModel{Model: m, guard: g, opts: newOptions(opts)}
}

// GenerateContent asks the wrapped model and checks a text reply.
func (m *guardedModel) GenerateContent(ctx context.Context, messages []llms.MessageContent,
	options ...llms.CallOption) (*llms.ContentResponse, error) {
	for rewrites := 0; ; rewrites++ {
		resp, err := m.Model.GenerateContent(ctx, messages, options...)
		if err != nil {
			return resp, err
		}
		text, ok := replyText(resp)
		if !ok {
			return resp, nil
		}
		d, err := m.guard.CheckOutput(text)
		if err != nil {
			return nil, err
		}
		switch {
		case d == nil:
			return resp, nil
		case d.Action == auraguard.Escalate || d.Action == auraguard.Finalize:
			return nil, &StopError{Decision: *d}
		case d.Action == auraguard.Rewrite && rewrites < m.opts.maxRewrites:
			messages = append(append([]llms.MessageContent(nil), messages...),
				llms.TextParts(llms.ChatMessageTypeSystem, d.InjectedSystem))
		default:
			return resp, nil
		}
	}
}

// Call is the text-only interface, built on GenerateContent so that its
// replies are checked too.
func (m *guardedModel) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}

// replyText is the text of a reply that calls no tool.
func replyText(resp *llms.ContentResponse) (string, bool) {
	if resp == nil || len(resp.Choices) == 0 {
		return "", false
	}
	c := resp.Choices[0]
	if len(c.ToolCalls) > 0 || c.FuncCall != nil || strings.TrimSpace(c.Content) == "" {
		return "", false
	}
	return c.Content, true
}

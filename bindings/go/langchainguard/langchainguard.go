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
type StopError = providers.StopError

// Option adjusts Tool, Tools and Model.
type Option = func(*providers.AdapterOptions)

// WithCallOptions gives the options of each tool call's check, for example
// auraguard.WithTicket from the arguments.
var WithCallOptions = providers.WithCallOptions

// WithMaxRewrites bounds how often Model asks again in one call after a
// Rewrite (default 3); past it the last reply is returned as it is.
var WithMaxRewrites = providers.WithMaxRewrites

// guardedTool is a tool whose calls go through the guard.
type guardedTool struct {
	tools.Tool
	guard *auraguard.Guard
	opts  providers.AdapterOptions
}

// Tool guards t: its name and description are kept, and each Call is
// checked, run and recorded through the guard (auraguard.Run).
func Tool(g *auraguard.Guard, t tools.Tool, opts ...Option) tools.Tool {
	return &guardedTool{Tool: t, guard: g, opts: providers.NewAdapterOptions(opts)}
}

// Tools guards every tool of a list, in order.
func Tools(g *auraguard.Guard, list []tools.Tool, opts ...Option) []tools.Tool {
	o := providers.NewAdapterOptions(opts)
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
	out, err := providers.GuardTool(ctx, t.guard, providers.ToolCall{Name: t.Name(), Arguments: string(args)},
		func(ctx context.Context) (string, error) { return t.Tool.Call(ctx, input) },
		t.opts.ForCall(t.Name(), args)...)
	switch {
	case err != nil:
		return "", err
	case out.Stop != nil:
		return "", out.Stop
	case out.Denied:
		return out.Reply, nil
	}
	return out.Value, nil
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
	opts  providers.AdapterOptions
}

// Model guards the text replies of m (see the package documentation).
func Model(g *auraguard.Guard, m llms.Model, opts ...Option) llms.Model {
	return &guardedModel{Model: m, guard: g, opts: providers.NewAdapterOptions(opts)}
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
		check, err := providers.CheckReply(m.guard, text)
		switch {
		case err != nil:
			return nil, err
		case check.Stop != nil:
			return nil, check.Stop
		case check.Rewrite != "" && rewrites < m.opts.MaxRewrites:
			messages = append(append([]llms.MessageContent(nil), messages...),
				llms.TextParts(llms.ChatMessageTypeSystem, check.Rewrite))
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

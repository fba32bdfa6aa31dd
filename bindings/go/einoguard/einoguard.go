// Package einoguard puts the guard into Eino agents and graphs
// (github.com/cloudwego/eino).
//
//   - ToolMiddleware is a compose.ToolMiddleware for
//     ToolsNodeConfig.ToolCallMiddlewares: each invokable tool call is
//     checked before it runs and its result recorded under its own
//     decision, so tool calls that the ToolsNode runs in parallel are told
//     apart (the guard's Concurrency must then be at least the number of
//     calls a message may hold). A denied call gives a tool result that
//     tells the model why (a cached result is given as the tool's output),
//     so the agent goes on; an escalation or a forced finish interrupts
//     the run (tool.Interrupt) with a *StopError as the interrupt's info.
//   - AgentMiddleware is the same for a ChatModelAgent
//     (ChatModelAgentConfig.Middlewares).
//   - Model wraps a ToolCallingChatModel: a generated reply that is text,
//     not a tool call, goes through CheckOutput. On a Rewrite the model is
//     asked again with the guard's instruction as a system message; on an
//     escalation or a forced finish Generate returns a *StopError. Streamed
//     replies are passed through unchecked.
package einoguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
	"github.com/cloudwego/eino/adk"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
)

// StopError says why the guard stopped the run: it escalated (hand
// Decision.EscalationPacket to a person) or finalized (send
// Decision.FinalizedOutput.ReplyDraft). Tool and CallID are "" when the
// decision was about the model's text.
type StopError struct {
	Tool     string
	CallID   string
	Decision auraguard.Decision
}

func (e *StopError) Error() string {
	if e.Tool == "" {
		return fmt.Sprintf("auraguard: the run was stopped: %s (%s)", e.Decision.Action, e.Decision.Reason)
	}
	return fmt.Sprintf("auraguard: the run was stopped at %s (%s): %s (%s)",
		e.Tool, e.CallID, e.Decision.Action, e.Decision.Reason)
}

// Option adjusts the middlewares and Model.
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

// WithMaxRewrites bounds how often Model asks again in one Generate after
// a Rewrite (default 3); past it the last reply is returned as it is.
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

// ToolMiddleware guards every invokable tool call of a ToolsNode.
func ToolMiddleware(g *auraguard.Guard, opts ...Option) compose.ToolMiddleware {
	o := newOptions(opts)
	return compose.ToolMiddleware{Invokable: func(next compose.InvokableToolEndpoint) compose.InvokableToolEndpoint {
		return func(ctx context.Context, in *compose.ToolInput) (*compose.ToolOutput, error) {
			return guardCall(ctx, g, o, in, next)
		}
	}}
}

// AgentMiddleware guards the tool calls of a ChatModelAgent. Wrap its
// model with Model to check its text replies too.
func AgentMiddleware(g *auraguard.Guard, opts ...Option) adk.AgentMiddleware {
	return adk.AgentMiddleware{WrapToolCall: ToolMiddleware(g, opts...)}
}

func guardCall(ctx context.Context, g *auraguard.Guard, o options, in *compose.ToolInput,
	next compose.InvokableToolEndpoint) (*compose.ToolOutput, error) {
	call := providers.NewToolCall(in.CallID, in.Name, in.Arguments)
	if call.Err != nil {
		return &compose.ToolOutput{Result: providers.InvalidArgumentsText(call.Err)}, nil
	}
	args := call.ArgumentsJSON()
	var callOpts []auraguard.CallOption
	if o.callOptions != nil {
		callOpts = o.callOptions(in.Name, args)
	}
	result, err := auraguard.Run(ctx, g, in.Name, args, func(ctx context.Context) (string, error) {
		out, err := next(ctx, in)
		if err != nil || out == nil {
			return "", err
		}
		return out.Result, nil
	}, callOpts...)
	var denied *auraguard.DeniedError
	if errors.As(err, &denied) {
		if a := denied.Decision.Action; a == auraguard.Escalate || a == auraguard.Finalize {
			return nil, tool.Interrupt(ctx, &StopError{Tool: in.Name, CallID: in.CallID, Decision: denied.Decision})
		}
		text, _ := providers.ReplyText(in.Name, denied.Decision)
		return &compose.ToolOutput{Result: text}, nil
	}
	if err != nil {
		return nil, err
	}
	return &compose.ToolOutput{Result: result}, nil
}

// Stopped finds the guard's StopError in an agent event: an interrupt whose
// info is one (a tool call was stopped) or an error that is one (the
// model's text was). It returns nil for any other event.
func Stopped(ev *adk.AgentEvent) *StopError {
	if ev == nil {
		return nil
	}
	var stop *StopError
	if ev.Err != nil && errors.As(ev.Err, &stop) {
		return stop
	}
	if ev.Action != nil && ev.Action.Interrupted != nil {
		for _, ic := range ev.Action.Interrupted.InterruptContexts {
			if s, ok := ic.Info.(*StopError); ok {
				return s
			}
		}
		if s, ok := ev.Action.Interrupted.Data.(*StopError); ok {
			return s
		}
	}
	return nil
}

// StopFromError finds the guard's StopError in the error of a graph or
// ToolsNode run (an interrupt whose info is one, or the error itself), or
// nil.
func StopFromError(err error) *StopError {
	if err == nil {
		return nil
	}
	var stop *StopError
	if errors.As(err, &stop) {
		return stop
	}
	if info, ok := compose.ExtractInterruptInfo(err); ok {
		for _, ic := range info.InterruptContexts {
			if s, ok := ic.Info.(*StopError); ok {
				return s
			}
		}
	}
	return nil
}

// guardedModel checks the model's generated text replies.
type guardedModel struct {
	model.ToolCallingChatModel
	guard *auraguard.Guard
	opts  options
}

// Model guards the text replies of m (see the package documentation).
func Model(g *auraguard.Guard, m model.ToolCallingChatModel, opts ...Option) model.ToolCallingChatModel {
	return &guardedModel{ToolCallingChatModel: m, guard: g, opts: newOptions(opts)}
}

// WithTools binds tools to the wrapped model and keeps it guarded.
func (m *guardedModel) WithTools(tools []*schema.ToolInfo) (model.ToolCallingChatModel, error) {
	inner, err := m.ToolCallingChatModel.WithTools(tools)
	if err != nil {
		return nil, err
	}
	return &guardedModel{ToolCallingChatModel: inner, guard: m.guard, opts: m.opts}, nil
}

// Generate asks the wrapped model and checks a text reply.
func (m *guardedModel) Generate(ctx context.Context, input []*schema.Message, opts ...model.Option) (*schema.Message, error) {
	for rewrites := 0; ; rewrites++ {
		msg, err := m.ToolCallingChatModel.Generate(ctx, input, opts...)
		if err != nil || msg == nil || len(msg.ToolCalls) > 0 || strings.TrimSpace(msg.Content) == "" {
			return msg, err
		}
		d, err := m.guard.CheckOutput(msg.Content)
		if err != nil {
			return nil, err
		}
		switch {
		case d == nil:
			return msg, nil
		case d.Action == auraguard.Escalate || d.Action == auraguard.Finalize:
			return nil, &StopError{Decision: *d}
		case d.Action == auraguard.Rewrite && rewrites < m.opts.maxRewrites:
			input = append(append([]*schema.Message(nil), input...), schema.SystemMessage(d.InjectedSystem))
		default:
			return msg, nil
		}
	}
}

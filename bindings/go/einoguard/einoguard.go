// Package einoguard puts the guard into Eino agents and graphs
// (github.com/cloudwego/eino).
//
//   - ToolMiddleware is a compose.ToolMiddleware for
//     ToolsNodeConfig.ToolCallMiddlewares: each tool call (invokable,
//     streamable, enhanced invokable or enhanced streamable) is
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
	"errors"
	"io"
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
type StopError = providers.StopError

// Option adjusts the middlewares and Model.
type Option = func(*providers.AdapterOptions)

// WithCallOptions gives the options of each tool call's check, for example
// auraguard.WithTicket from the arguments.
var WithCallOptions = providers.WithCallOptions

// WithMaxRewrites bounds how often Model asks again in one Generate after
// a Rewrite (default 3); past it the last reply is returned as it is.
var WithMaxRewrites = providers.WithMaxRewrites

// ToolMiddleware guards every tool call of a ToolsNode, whichever of
// Eino's four tool kinds runs it (invokable, streamable, and their enhanced,
// multimodal forms). A streamed result is read whole before it is
// recorded, since the guard books one result per call, and is passed on as
// one chunk; a replay of it is one chunk too.
func ToolMiddleware(g *auraguard.Guard, opts ...Option) compose.ToolMiddleware {
	o := providers.NewAdapterOptions(opts)
	return compose.ToolMiddleware{
		Invokable: func(next compose.InvokableToolEndpoint) compose.InvokableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.ToolOutput, error) {
				v, err := guarded(ctx, g, o, in, textOf, func(ctx context.Context) (string, error) {
					out, err := next(ctx, in)
					if err != nil || out == nil {
						return "", err
					}
					return out.Result, nil
				})
				if err != nil {
					return nil, err
				}
				return &compose.ToolOutput{Result: v}, nil
			}
		},
		Streamable: func(next compose.StreamableToolEndpoint) compose.StreamableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.StreamToolOutput, error) {
				v, err := guarded(ctx, g, o, in, textOf, func(ctx context.Context) (string, error) {
					out, err := next(ctx, in)
					if err != nil || out == nil || out.Result == nil {
						return "", err
					}
					parts, err := readAll(out.Result)
					return strings.Join(parts, ""), err
				})
				if err != nil {
					return nil, err
				}
				return &compose.StreamToolOutput{Result: schema.StreamReaderFromArray([]string{v})}, nil
			}
		},
		EnhancedInvokable: func(next compose.EnhancedInvokableToolEndpoint) compose.EnhancedInvokableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.EnhancedInvokableToolOutput, error) {
				v, err := guarded(ctx, g, o, in, resultOf, func(ctx context.Context) (*schema.ToolResult, error) {
					out, err := next(ctx, in)
					if err != nil || out == nil {
						return nil, err
					}
					return out.Result, nil
				})
				if err != nil {
					return nil, err
				}
				return &compose.EnhancedInvokableToolOutput{Result: v}, nil
			}
		},
		EnhancedStreamable: func(next compose.EnhancedStreamableToolEndpoint) compose.EnhancedStreamableToolEndpoint {
			return func(ctx context.Context, in *compose.ToolInput) (*compose.EnhancedStreamableToolOutput, error) {
				v, err := guarded(ctx, g, o, in, resultOf, func(ctx context.Context) (*schema.ToolResult, error) {
					out, err := next(ctx, in)
					if err != nil || out == nil || out.Result == nil {
						return nil, err
					}
					chunks, err := readAll(out.Result)
					merged := &schema.ToolResult{}
					for _, c := range chunks {
						if c != nil {
							merged.Parts = append(merged.Parts, c.Parts...)
						}
					}
					return merged, err
				})
				if err != nil {
					return nil, err
				}
				return &compose.EnhancedStreamableToolOutput{Result: schema.StreamReaderFromArray([]*schema.ToolResult{v})}, nil
			}
		},
	}
}

// AgentMiddleware guards the tool calls of a ChatModelAgent. Wrap its
// model with Model to check its text replies too.
func AgentMiddleware(g *auraguard.Guard, opts ...Option) adk.AgentMiddleware {
	return adk.AgentMiddleware{WrapToolCall: ToolMiddleware(g, opts...)}
}

// guarded runs one tool call of any kind through the guard: the tool's
// value, the value of an earlier call the guard replays, or the denial
// text as the model should read it (reply builds a T from it). An
// escalation or a forced finish interrupts the run.
func guarded[T any](ctx context.Context, g *auraguard.Guard, o providers.AdapterOptions, in *compose.ToolInput,
	reply func(string) T, run func(context.Context) (T, error)) (T, error) {
	call := providers.NewToolCall(in.CallID, in.Name, in.Arguments)
	var callOpts []auraguard.CallOption
	if call.Err == nil {
		callOpts = o.ForCall(in.Name, call.ArgumentsJSON())
	}
	out, err := providers.GuardTool(ctx, g, call, run, callOpts...)
	switch {
	case err != nil:
		var zero T
		return zero, err
	case out.Stop != nil:
		var zero T
		return zero, tool.Interrupt(ctx, out.Stop)
	case out.Denied:
		return reply(out.Reply), nil
	}
	return out.Value, nil
}

func textOf(s string) string { return s }

// resultOf is a denial as a multimodal tool result: one text part.
func resultOf(s string) *schema.ToolResult {
	return &schema.ToolResult{Parts: []schema.ToolOutputPart{{Type: schema.ToolPartTypeText, Text: s}}}
}

// readAll drains a tool's stream and closes it.
func readAll[T any](r *schema.StreamReader[T]) ([]T, error) {
	defer r.Close()
	var out []T
	for {
		chunk, err := r.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, chunk)
	}
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
	// A ToolsNode run on its own reports its interrupted calls by call id.
	if info, ok := compose.IsInterruptRerunError(err); ok {
		if extra, ok := info.(*compose.ToolsInterruptAndRerunExtra); ok {
			for _, id := range extra.RerunTools {
				if s, ok := extra.RerunExtraMap[id].(*StopError); ok {
					return s
				}
			}
		}
	}
	return nil
}

// guardedModel checks the model's generated text replies.
type guardedModel struct {
	model.ToolCallingChatModel
	guard *auraguard.Guard
	opts  providers.AdapterOptions
}

// Model guards the text replies of m (see the package documentation).
func Model(g *auraguard.Guard, m model.ToolCallingChatModel, opts ...Option) model.ToolCallingChatModel {
	return &guardedModel{ToolCallingChatModel: m, guard: g, opts: providers.NewAdapterOptions(opts)}
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
		check, err := providers.CheckReply(m.guard, msg.Content)
		switch {
		case err != nil:
			return nil, err
		case check.Stop != nil:
			return nil, check.Stop
		case check.Rewrite != "" && rewrites < m.opts.MaxRewrites:
			input = append(append([]*schema.Message(nil), input...), schema.SystemMessage(check.Rewrite))
		default:
			return msg, nil
		}
	}
}

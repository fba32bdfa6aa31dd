// Package genkitguard puts the guard into Genkit Go
// (github.com/firebase/genkit/go).
//
// Genkit runs the tools a model asks for itself, looking them up by name,
// so the guard goes into the tool's function: Tool wraps an ai.ToolFunc
// and DefineTool defines a guarded tool. Each call is checked before the
// function runs and its result recorded. A denied call returns, as the
// tool's output, a text that tells the model why (a cached result is
// returned as the output it was), so the generate loop goes on; an
// escalation or a forced finish interrupts the tool (ToolContext.Interrupt):
// Generate returns with FinishReasonInterrupted, and Stopped reads the
// guard's decision out of the response.
//
// Middleware is an ai.ModelMiddleware (ai.WithMiddleware): a model reply
// that is text, not a tool request, goes through CheckOutput. On a Rewrite
// the model is asked again with the guard's instruction as a system
// message; on an escalation or a forced finish Generate fails with a
// *StopError.
//
// Which guard: the one NewContext put into the generate call's context, so
// that a host can keep one guard per generate call or per session; else the
// guard the tool or the middleware was made with.
package genkitguard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

// StopError says why the guard stopped the run: it escalated (hand
// Decision.EscalationPacket to a person) or finalized (send
// Decision.FinalizedOutput.ReplyDraft). Tool is "" when the decision was
// about the model's text.
type StopError = providers.StopError

// interruptKey names the guard's decision in an interrupt's metadata.
const interruptKey = "auraguard"

type guardKey struct{}

// NewContext gives ctx a guard for the tools and the middleware of the
// generate calls made with it.
func NewContext(ctx context.Context, g *auraguard.Guard) context.Context {
	return context.WithValue(ctx, guardKey{}, g)
}

// FromContext is the guard NewContext put into ctx, or nil.
func FromContext(ctx context.Context) *auraguard.Guard {
	g, _ := ctx.Value(guardKey{}).(*auraguard.Guard)
	return g
}

// errNoGuard is the error of a guarded tool that has no guard to ask.
var errNoGuard = errors.New("genkitguard: no guard: give one to Tool/Middleware or put one in the context with NewContext")

func pick(ctx context.Context, fallback *auraguard.Guard) (*auraguard.Guard, error) {
	if g := FromContext(ctx); g != nil {
		return g, nil
	}
	if fallback != nil {
		return fallback, nil
	}
	return nil, errNoGuard
}

// Option adjusts Tool, DefineTool and Middleware.
type Option = func(*providers.AdapterOptions)

// WithCallOptions gives the options of each tool call's check, for example
// auraguard.WithTicket from the arguments.
var WithCallOptions = providers.WithCallOptions

// WithMaxRewrites bounds how often Middleware asks the model again in one
// model call after a Rewrite (default 3); past it the reply is returned.
var WithMaxRewrites = providers.WithMaxRewrites

// Tool guards a tool function named name. The guarded function's output is
// fn's output, or the text the model reads when the call did not run, or
// the cached output; g may be nil when every generate call's context
// carries a guard (NewContext).
func Tool[In, Out any](g *auraguard.Guard, name string, fn ai.ToolFunc[In, Out], opts ...Option) ai.ToolFunc[In, any] {
	o := providers.NewAdapterOptions(opts)
	return func(tc *ai.ToolContext, input In) (any, error) {
		guard, err := pick(tc, g)
		if err != nil {
			return nil, err
		}
		args, err := Arguments(input)
		if err != nil {
			return providers.InvalidArgumentsText(fmt.Errorf("the input of %s cannot be read: %w", name, err)), nil
		}
		out, err := providers.GuardTool(tc, guard, providers.ToolCall{Name: name, Arguments: string(args)},
			func(context.Context) (any, error) { return fn(tc, input) }, o.ForCall(name, args)...)
		switch {
		case err != nil:
			return nil, err
		case out.Stop != nil:
			return nil, tc.Interrupt(&ai.InterruptOptions{Metadata: map[string]any{interruptKey: out.Stop}})
		case out.Denied:
			return out.Reply, nil
		}
		return out.Value, nil
	}
}

// DefineTool defines a guarded tool in the Genkit instance (see Tool).
func DefineTool[In, Out any](gk *genkit.Genkit, g *auraguard.Guard, name, description string,
	fn ai.ToolFunc[In, Out], opts ...Option) ai.Tool {
	return genkit.DefineTool(gk, name, description, Tool(g, name, fn, opts...))
}

// Arguments is a tool input as the guard's arguments: its JSON when that is
// an object, else {"input": the JSON}.
func Arguments(input any) (json.RawMessage, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	if len(raw) > 0 && raw[0] == '{' {
		return raw, nil
	}
	return json.Marshal(map[string]json.RawMessage{"input": raw})
}

// Stopped reads the guard's decision out of an interrupted response: the
// first tool request the guard interrupted, or nil.
func Stopped(resp *ai.ModelResponse) *StopError {
	if resp == nil {
		return nil
	}
	for _, p := range resp.Interrupts() {
		meta, _ := p.Metadata["interrupt"].(map[string]any)
		v, ok := meta[interruptKey]
		if !ok {
			continue
		}
		if s, ok := v.(*StopError); ok {
			return s
		}
		// The metadata may have gone through JSON on the way.
		raw, err := json.Marshal(v)
		if err != nil {
			continue
		}
		var s StopError
		if json.Unmarshal(raw, &s) == nil {
			return &s
		}
	}
	return nil
}

// Middleware checks the model's text replies (see the package
// documentation); g may be nil when the context carries a guard.
func Middleware(g *auraguard.Guard, opts ...Option) ai.ModelMiddleware {
	o := providers.NewAdapterOptions(opts)
	return func(next ai.ModelFunc) ai.ModelFunc {
		return func(ctx context.Context, req *ai.ModelRequest, cb ai.ModelStreamCallback) (*ai.ModelResponse, error) {
			guard, err := pick(ctx, g)
			if err != nil {
				return nil, err
			}
			for rewrites := 0; ; rewrites++ {
				resp, err := next(ctx, req, cb)
				if err != nil || resp == nil || len(resp.ToolRequests()) > 0 || strings.TrimSpace(resp.Text()) == "" {
					return resp, err
				}
				check, err := providers.CheckReply(guard, resp.Text())
				switch {
				case err != nil:
					return nil, err
				case check.Stop != nil:
					return nil, check.Stop
				case check.Rewrite != "" && rewrites < o.MaxRewrites:
					again := *req
					again.Messages = append(append([]*ai.Message(nil), req.Messages...), ai.NewSystemTextMessage(check.Rewrite))
					req = &again
				default:
					return resp, nil
				}
			}
		}
	}
}

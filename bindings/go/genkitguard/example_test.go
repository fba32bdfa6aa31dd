package genkitguard_test

import (
	"context"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/genkitguard"
	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
)

// ask runs one generate call with a guarded tool and the guard's model
// middleware; the guard comes with the context, one per call or per session.
func ask(ctx context.Context, gk *genkit.Genkit, guard *auraguard.Guard, model ai.Model, question string) (string, error) {
	refund := genkitguard.DefineTool(gk, nil, "refund", "Refund an order.",
		func(_ *ai.ToolContext, order map[string]any) (string, error) { return "refund R-1 sent", nil })
	resp, err := genkit.Generate(genkitguard.NewContext(ctx, guard), gk, ai.WithModel(model), ai.WithTools(refund),
		ai.WithPrompt(question), ai.WithMiddleware(genkitguard.Middleware(nil)))
	if err != nil {
		return "", err // a *genkitguard.StopError when the model's text was escalated
	}
	if stop := genkitguard.Stopped(resp); stop != nil {
		return "", stop // a tool call was escalated: hand the run to a person
	}
	return resp.Text(), nil
}

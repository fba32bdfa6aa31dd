package langchainguard_test

import (
	"context"
	"errors"
	"fmt"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/langchainguard"
	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/tools"
)

// answer runs a langchaingo agent with its tools and its model's text
// replies under the guard.
func answer(ctx context.Context, llm llms.Model, myTools []tools.Tool, question string) (string, error) {
	guard, err := auraguard.New(auraguard.Config{SecretKey: "change-me"})
	if err != nil {
		return "", err
	}
	defer guard.Close()
	agent := agents.NewOpenAIFunctionsAgent(langchainguard.Model(guard, llm), langchainguard.Tools(guard, myTools))
	out, err := agents.NewExecutor(agent).Call(ctx, map[string]any{"input": question})
	var stop *langchainguard.StopError
	if errors.As(err, &stop) {
		return "", fmt.Errorf("hand the run to a person: %s", stop.Decision.Reason)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprint(out["output"]), nil
}

package providers_test

import (
	"context"
	"encoding/json"
	"fmt"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/providers"
)

// answerTurn runs the tool calls of an OpenAI chat completion (its JSON)
// under the guard and returns the tool messages that answer every call.
func answerTurn(ctx context.Context, guard *auraguard.Guard, completion []byte) ([]json.RawMessage, error) {
	tools := map[string]providers.ToolFunc{
		"get_order": func(ctx context.Context, args json.RawMessage) (any, error) {
			return map[string]string{"status": "delivered"}, nil // the real tool goes here
		},
	}
	turn, err := providers.RunTurn(ctx, guard, providers.OpenAIChat, completion, tools, providers.TurnOptions{})
	if err != nil {
		return nil, err
	}
	if turn.Stop != nil {
		return nil, fmt.Errorf("stop the agent: %s", turn.Stop.Reason)
	}
	return turn.Messages(providers.OpenAIChat)
}

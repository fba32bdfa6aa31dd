package einoguard_test

import (
	"context"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/einoguard"
	"github.com/cloudwego/eino/adk"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
)

// supportAgent is a ChatModelAgent whose tool calls and text replies go
// through the guard. Read each event with einoguard.Stopped: non-nil means
// the guard stopped the run.
func supportAgent(ctx context.Context, guard *auraguard.Guard, chat model.ToolCallingChatModel, tools []tool.BaseTool) (adk.Agent, error) {
	return adk.NewChatModelAgent(ctx, &adk.ChatModelAgentConfig{
		Name:        "support",
		Description: "answers customers about their orders",
		Model:       einoguard.Model(guard, chat),
		ToolsConfig: adk.ToolsConfig{ToolsNodeConfig: compose.ToolsNodeConfig{Tools: tools}},
		Middlewares: []adk.AgentMiddleware{einoguard.AgentMiddleware(guard)},
	})
}

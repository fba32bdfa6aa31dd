package einoguard

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
	"github.com/auraguard/libauraguard/bindings/go/einoguard/internal/script"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/schema"
)

// streamTool is a StreamableTool only: its answer comes in chunks.
type streamTool struct {
	name   string
	chunks []string
	runs   atomic.Int32
}

func (t *streamTool) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "streams " + t.name}, nil
}

func (t *streamTool) StreamableRun(context.Context, string, ...tool.Option) (*schema.StreamReader[string], error) {
	t.runs.Add(1)
	return schema.StreamReaderFromArray(t.chunks), nil
}

// multimodalTool is an EnhancedInvokableTool only: text and an image.
type multimodalTool struct {
	name string
	runs atomic.Int32
}

func (t *multimodalTool) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "renders " + t.name}, nil
}

func (t *multimodalTool) InvokableRun(context.Context, *schema.ToolArgument, ...tool.Option) (*schema.ToolResult, error) {
	t.runs.Add(1)
	url := "https://example.invalid/chart.png"
	return &schema.ToolResult{Parts: []schema.ToolOutputPart{
		{Type: schema.ToolPartTypeText, Text: "sales chart"},
		{Type: schema.ToolPartTypeImage, Image: &schema.ToolOutputImage{MessagePartCommon: schema.MessagePartCommon{URL: &url}}},
	}}, nil
}

// multimodalStreamTool is an EnhancedStreamableTool only.
type multimodalStreamTool struct {
	name string
	runs atomic.Int32
}

func (t *multimodalStreamTool) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: t.name, Desc: "streams parts of " + t.name}, nil
}

func (t *multimodalStreamTool) StreamableRun(context.Context, *schema.ToolArgument, ...tool.Option) (*schema.StreamReader[*schema.ToolResult], error) {
	t.runs.Add(1)
	part := func(s string) *schema.ToolResult {
		return &schema.ToolResult{Parts: []schema.ToolOutputPart{{Type: schema.ToolPartTypeText, Text: s}}}
	}
	return schema.StreamReaderFromArray([]*schema.ToolResult{part("page 1;"), part("page 2")}), nil
}

func textParts(m *schema.Message) string {
	var b strings.Builder
	for _, p := range m.UserInputMultiContent {
		if p.Type == schema.ChatMessagePartTypeText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestEveryToolKindIsGuarded(t *testing.T) {
	// The ToolsNode runs a message's calls at once: the guard's concurrency covers them.
	g := newGuard(t, auraguard.Config{SideEffectTools: []string{"export_report"}, Concurrency: auraguard.Int(2)})
	logs := &streamTool{name: "tail_logs", chunks: []string{"line 1\n", "line 2\n"}}
	chart := &multimodalTool{name: "render_chart"}
	export := &multimodalStreamTool{name: "export_report"}
	node := toolsNode(t, g, logs, chart, export)
	ctx := context.Background()
	// Each read three times: the third is served from the guard's cache.
	for i := 0; i < 3; i++ {
		out, err := node.Invoke(ctx, script.Call("l", "tail_logs", `{"service":"api"}`, "render_chart", `{"q":"sales"}`))
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Content != "line 1\nline 2\n" {
			t.Fatalf("call %d: streamed result %q", i, out[0].Content)
		}
		if got := textParts(out[1]); got != "sales chart" || len(out[1].UserInputMultiContent) != 2 {
			t.Fatalf("call %d: multimodal result %q in %d parts", i, got, len(out[1].UserInputMultiContent))
		}
	}
	if logs.runs.Load() != 2 || chart.runs.Load() != 2 {
		t.Fatalf("runs: tail_logs %d, render_chart %d (want 2 each)", logs.runs.Load(), chart.runs.Load())
	}
	// A side effect streamed in parts runs once; its repeat is replayed.
	for i := 0; i < 2; i++ {
		out, err := node.Invoke(ctx, script.Call("e", "export_report", `{"month":"2026-11"}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := textParts(out[0]); got != "page 1;page 2" {
			t.Fatalf("export %d: %q", i, got)
		}
	}
	if export.runs.Load() != 1 {
		t.Fatalf("export_report ran %d times", export.runs.Load())
	}
	stats, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.ToolCallsExecuted != 5 || stats.CacheHits != 3 {
		t.Fatalf("executed %d, cache hits %d", stats.ToolCallsExecuted, stats.CacheHits)
	}
}

func TestADeniedStreamedOrMultimodalCallTellsTheModelWhy(t *testing.T) {
	g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(2), ToolPolicies: map[string]auraguard.ToolPolicy{
		"tail_logs": {Access: auraguard.AccessDeny}, "render_chart": {Access: auraguard.AccessDeny}}})
	logs := &streamTool{name: "tail_logs", chunks: []string{"secret"}}
	chart := &multimodalTool{name: "render_chart"}
	out, err := toolsNode(t, g, logs, chart).Invoke(context.Background(),
		script.Call("d", "tail_logs", `{}`, "render_chart", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if logs.runs.Load()+chart.runs.Load() != 0 {
		t.Fatal("a denied tool ran")
	}
	if !strings.Contains(out[0].Content, "policy_deny") || !strings.Contains(textParts(out[1]), "policy_deny") {
		t.Fatalf("replies %q / %q", out[0].Content, textParts(out[1]))
	}
}

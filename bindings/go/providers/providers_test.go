package providers

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

var formats = []Format{OpenAIChat, OpenAIResponses, AnthropicMessages}

// fixture reads a recorded response from tests/fixtures/providers.
func fixture(t *testing.T, format Format, name string) []byte {
	t.Helper()
	prefix := map[Format]string{OpenAIChat: "openai_chat", OpenAIResponses: "openai_responses",
		AnthropicMessages: "anthropic_messages"}[format]
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "fixtures", "providers", prefix+"_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func newGuard(t *testing.T, cfg auraguard.Config) *auraguard.Guard {
	t.Helper()
	cfg.SecretKey = "providers-test-key"
	g, err := auraguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// ids are the call ids each fixture names, in order.
var parallelIDs = map[Format][]string{
	OpenAIChat:        {"call_7fGq2LmXo0aRtY4kUe1sWb9H", "call_Qn3vB8sKd5jPzE2cHa6mTr0L", "call_Wk9eJ1tFy4uNcS7oRm2xVg5D"},
	OpenAIResponses:   {"call_7fGq2LmXo0aRtY4kUe1sWb9H", "call_Qn3vB8sKd5jPzE2cHa6mTr0L", "call_Wk9eJ1tFy4uNcS7oRm2xVg5D"},
	AnthropicMessages: {"toolu_01A09q90qw90lq917835lq9a", "toolu_01B18r81rx81mr826724mr8b", "toolu_01C27s72sy72ns735613ns7c"},
}

// countingTools are the support tools, counting their runs.
func countingTools(runs map[string]*atomic.Int32) map[string]ToolFunc {
	tools := map[string]ToolFunc{}
	for _, name := range []string{"get_order", "search_kb", "get_shipping", "refund"} {
		name := name
		runs[name] = &atomic.Int32{}
		tools[name] = func(_ context.Context, args json.RawMessage) (any, error) {
			runs[name].Add(1)
			var a map[string]any
			if err := json.Unmarshal(args, &a); err != nil {
				return nil, err
			}
			return map[string]any{"tool": name, "order_id": a["order_id"]}, nil
		}
	}
	return tools
}

func TestReadCallsParallel(t *testing.T) {
	for _, f := range formats {
		calls, err := ReadCalls(f, fixture(t, f, "parallel"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names := []string{"get_order", "search_kb", "get_shipping"}
		if len(calls) != 3 {
			t.Fatalf("%s: %d calls, want 3 (a reasoning item or a text block is no call)", f, len(calls))
		}
		for i, c := range calls {
			if c.ID != parallelIDs[f][i] || c.Name != names[i] || c.Err != nil {
				t.Fatalf("%s call %d = %+v", f, i, c)
			}
			var args map[string]any
			if err := json.Unmarshal(c.ArgumentsJSON(), &args); err != nil || len(args) != 1 {
				t.Fatalf("%s call %d arguments %q: %v", f, i, c.Arguments, err)
			}
		}
	}
}

func TestReadCallsMalformedIsPerCall(t *testing.T) {
	for _, f := range formats {
		calls, err := ReadCalls(f, fixture(t, f, "malformed"))
		if err != nil {
			t.Fatalf("%s: a bad call must not fail the response: %v", f, err)
		}
		if len(calls) != 2 || calls[0].Err != nil || calls[1].Err == nil {
			t.Fatalf("%s: calls = %+v", f, calls)
		}
		if !strings.Contains(calls[1].Err.Error(), "refund") || !strings.Contains(calls[1].Err.Error(), "not valid JSON") {
			t.Fatalf("%s: error %q does not say which call and what is wrong", f, calls[1].Err)
		}
	}
}

func TestReadCallsRejectsWhatIsNoResponse(t *testing.T) {
	if _, err := ReadCalls(OpenAIChat, []byte(`{"choices": 3}`)); err == nil || !strings.Contains(err.Error(), "openai_chat") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadCalls(OpenAIChat, []byte(`{"choices": []}`)); err == nil || !strings.Contains(err.Error(), "no choices") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadCalls("gemini", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `"gemini"`) {
		t.Fatalf("err = %v", err)
	}
	// An argument text that is JSON but not an object is refused per call.
	if c := NewToolCall("c1", "get_order", `["A1"]`); c.Err == nil || !strings.Contains(c.Err.Error(), "JSON object") {
		t.Fatalf("call = %+v", c)
	}
	// No argument text at all is a call without arguments.
	if c := NewToolCall("c1", "list_orders", ""); c.Err != nil || c.ArgumentsJSON() != nil {
		t.Fatalf("call = %+v", c)
	}
	if c := AnthropicToolCall("t1", "get_order", json.RawMessage(`"{\"order_id\":\"A1\"}"`)); c.Err == nil {
		t.Fatal("an Anthropic input given as a string, even of valid JSON, is not an object")
	}
}

func TestRunTurnAnswersEveryCallInOrder(t *testing.T) {
	for _, f := range formats {
		for _, parallel := range []bool{false, true} {
			g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(3)})
			runs := map[string]*atomic.Int32{}
			turn, err := RunTurn(context.Background(), g, f, fixture(t, f, "parallel"), countingTools(runs),
				TurnOptions{Parallel: parallel})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if turn.Stop != nil || len(turn.Calls) != 3 {
				t.Fatalf("%s: turn = %+v", f, turn)
			}
			for i, c := range turn.Calls {
				if !c.Ran || c.Reply.IsError || c.Reply.CallID != parallelIDs[f][i] || c.RecordErr != nil {
					t.Fatalf("%s parallel=%v call %d = %+v", f, parallel, i, c)
				}
				var reply map[string]any
				if err := json.Unmarshal([]byte(c.Reply.Content), &reply); err != nil || reply["tool"] != c.Call.Name {
					t.Fatalf("%s call %d reply %q", f, i, c.Reply.Content)
				}
			}
			stats, err := g.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if stats.ToolCallsExecuted != 3 {
				t.Fatalf("%s: %d results recorded, want 3", f, stats.ToolCallsExecuted)
			}
			checkShape(t, f, turn, parallelIDs[f])
		}
	}
}

// checkShape checks the turn's messages against the provider's format.
func checkShape(t *testing.T, f Format, turn Turn, ids []string) {
	t.Helper()
	msgs, err := turn.Messages(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	for _, m := range msgs {
		var v map[string]any
		if err := json.Unmarshal(m, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	switch f {
	case OpenAIChat:
		if len(got) != len(ids) {
			t.Fatalf("%d chat messages, want %d", len(got), len(ids))
		}
		for i, m := range got {
			if m["role"] != "tool" || m["tool_call_id"] != ids[i] || m["content"] != turn.Calls[i].Reply.Content {
				t.Fatalf("chat message %d = %v", i, m)
			}
		}
	case OpenAIResponses:
		if len(got) != len(ids) {
			t.Fatalf("%d items, want %d", len(got), len(ids))
		}
		for i, m := range got {
			if m["type"] != "function_call_output" || m["call_id"] != ids[i] || m["output"] != turn.Calls[i].Reply.Content {
				t.Fatalf("responses item %d = %v", i, m)
			}
		}
	case AnthropicMessages:
		if len(got) != 1 || got[0]["role"] != "user" {
			t.Fatalf("anthropic messages = %v", got)
		}
		blocks := got[0]["content"].([]any)
		if len(blocks) != len(ids) {
			t.Fatalf("%d blocks, want %d", len(blocks), len(ids))
		}
		for i, b := range blocks {
			m := b.(map[string]any)
			if m["type"] != "tool_result" || m["tool_use_id"] != ids[i] || m["content"] != turn.Calls[i].Reply.Content ||
				m["is_error"] != turn.Calls[i].Reply.IsError {
				t.Fatalf("anthropic block %d = %v", i, m)
			}
		}
	}
}

func TestParallelCallsRunAtOnce(t *testing.T) {
	g := newGuard(t, auraguard.Config{Concurrency: auraguard.Int(3)})
	// Each tool waits until all three have started: only a parallel run
	// gets past the barrier before the deadline.
	var started atomic.Int32
	all := make(chan struct{})
	barrier := func(ctx context.Context, _ json.RawMessage) (any, error) {
		if started.Add(1) == 3 {
			close(all)
		}
		select {
		case <-all:
			return "ok", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	tools := map[string]ToolFunc{"get_order": barrier, "search_kb": barrier, "get_shipping": barrier}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	turn, err := RunTurn(ctx, g, OpenAIChat, fixture(t, OpenAIChat, "parallel"), tools, TurnOptions{Parallel: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range turn.Calls {
		if c.Err != nil || c.Reply.Content != "ok" {
			t.Fatalf("call %d = %+v", i, c)
		}
	}
}

func TestDoubleRefundInOneResponseRunsOnce(t *testing.T) {
	for _, f := range formats {
		// One by one: the second refund is answered with the first one's
		// result from the idempotency ledger.
		g := newGuard(t, auraguard.Config{})
		runs := map[string]*atomic.Int32{}
		turn, err := RunTurn(context.Background(), g, f, fixture(t, f, "repeat"), countingTools(runs), TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if runs["refund"].Load() != 1 {
			t.Fatalf("%s: refund ran %d times", f, runs["refund"].Load())
		}
		second := turn.Calls[1]
		if second.Ran || second.Decision.Action != auraguard.Cache || second.Decision.Reason != "idempotent_replay" {
			t.Fatalf("%s: second refund = %+v", f, second.CallDecision)
		}
		if second.Reply.IsError || second.Reply.Content != turn.Calls[0].Reply.Content {
			t.Fatalf("%s: replayed reply %q, want the first %q", f, second.Reply.Content, turn.Calls[0].Reply.Content)
		}
		if second.Reply.CallID == turn.Calls[0].Reply.CallID {
			t.Fatalf("%s: both replies name one call", f)
		}

		// At once: the first refund holds the key while it runs, so the
		// second is refused, with an error result the model reads.
		g = newGuard(t, auraguard.Config{Concurrency: auraguard.Int(2)})
		runs = map[string]*atomic.Int32{}
		turn, err = RunTurn(context.Background(), g, f, fixture(t, f, "repeat"), countingTools(runs), TurnOptions{Parallel: true})
		if err != nil {
			t.Fatal(err)
		}
		second = turn.Calls[1]
		if runs["refund"].Load() != 1 || second.Ran || second.Decision.Action != auraguard.Block ||
			second.Decision.Reason != "side_effect_in_flight" || !second.Reply.IsError {
			t.Fatalf("%s parallel: refund ran %d times, second = %+v", f, runs["refund"].Load(), second.CallDecision)
		}
		checkShape(t, f, turn, []string{turn.Calls[0].Call.ID, second.Call.ID})
	}
}

func TestMalformedArgumentsBecomeAnErrorResult(t *testing.T) {
	for _, f := range formats {
		g := newGuard(t, auraguard.Config{})
		runs := map[string]*atomic.Int32{}
		turn, err := RunTurn(context.Background(), g, f, fixture(t, f, "malformed"), countingTools(runs), TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bad := turn.Calls[1]
		if runs["refund"].Load() != 0 || bad.Ran || bad.Decision.Action != "" || !bad.Reply.IsError ||
			!strings.Contains(bad.Reply.Content, "valid JSON") {
			t.Fatalf("%s: bad call = %+v", f, bad)
		}
		if !turn.Calls[0].Ran || runs["get_order"].Load() != 1 {
			t.Fatalf("%s: the good call beside it did not run", f)
		}
		checkShape(t, f, turn, []string{turn.Calls[0].Call.ID, bad.Call.ID})
	}
}

func TestEscalationStopsTheTurn(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"search_kb": {Access: auraguard.AccessHuman, Risk: "high"}}})
	runs := map[string]*atomic.Int32{}
	turn, err := RunTurn(context.Background(), g, AnthropicMessages, fixture(t, AnthropicMessages, "parallel"),
		countingTools(runs), TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if turn.Stop == nil || turn.Stop.Action != auraguard.Escalate || turn.Stop.Reason != "policy_human_approval_required" ||
		turn.Stop.EscalationPacket == nil {
		t.Fatalf("stop = %+v", turn.Stop)
	}
	if runs["get_order"].Load() != 1 || runs["search_kb"].Load() != 0 || runs["get_shipping"].Load() != 0 {
		t.Fatal("a call ran that the escalation should have stopped")
	}
	last := turn.Calls[2]
	if last.Decision.Action != "" || !last.Reply.IsError || !strings.Contains(last.Reply.Content, "stopped") {
		t.Fatalf("call after the stop = %+v", last)
	}
	if !turn.Calls[1].Stop || !strings.Contains(turn.Calls[1].Reply.Content, "person") {
		t.Fatalf("escalated call = %+v", turn.Calls[1])
	}
	checkShape(t, AnthropicMessages, turn, parallelIDs[AnthropicMessages])
}

func TestLoopAcrossTurnsIsAnsweredFromTheCache(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	runs := map[string]*atomic.Int32{}
	tools := countingTools(runs)
	call := []ToolCall{NewToolCall("c", "get_order", `{"order_id":"A1"}`)}
	var replies []CallOutcome
	for i := 0; i < 3; i++ {
		turn, err := RunCalls(context.Background(), g, call, tools, TurnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, turn.Calls[0])
	}
	// repeat_toolcall_threshold is 3: the third identical call reuses the result.
	if runs["get_order"].Load() != 2 || replies[2].Decision.Reason != "identical_toolcall_loop_cache" ||
		replies[2].Reply.Content != replies[0].Reply.Content {
		t.Fatalf("runs %d, third = %+v", runs["get_order"].Load(), replies[2])
	}
}

func TestToolFailureAndUnknownTool(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	unavailable := &auraguard.HTTPStatusError{StatusCode: 503, Status: "503 Service Unavailable"}
	tools := map[string]ToolFunc{
		"get_order": func(context.Context, json.RawMessage) (any, error) { return nil, unavailable },
	}
	calls := []ToolCall{NewToolCall("a", "get_order", `{"order_id":"A1"}`), NewToolCall("b", "delete_all", `{}`)}
	turn, err := RunCalls(context.Background(), g, calls, tools, TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	failed := turn.Calls[0]
	if !failed.Ran || !errors.Is(failed.Err, unavailable) || !failed.Reply.IsError ||
		!strings.Contains(failed.Reply.Content, "503") || failed.RecordErr != nil {
		t.Fatalf("failed call = %+v", failed)
	}
	if unknown := turn.Calls[1]; unknown.Ran || !strings.Contains(unknown.Reply.Content, `"delete_all"`) {
		t.Fatalf("unknown tool = %+v", unknown)
	}
	stats, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.ToolCallsFailed != 1 || stats.ToolCallsExecuted != 1 { // the unknown tool was never checked
		t.Fatalf("stats = %+v", stats)
	}
}

func TestToolPanicIsRecordedThenRaised(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	tools := map[string]ToolFunc{"get_order": func(context.Context, json.RawMessage) (any, error) { panic("boom") }}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the tool's panic", r)
			}
		}()
		RunCalls(context.Background(), g, []ToolCall{NewToolCall("a", "get_order", `{}`)}, tools, TurnOptions{})
	}()
	stats, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.ToolCallsFailed != 1 {
		t.Fatalf("the panicked call was not recorded: %+v", stats)
	}
}

func TestClosedGuardIsAnError(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	g.Close()
	runs := map[string]*atomic.Int32{}
	_, err := RunTurn(context.Background(), g, OpenAIChat, fixture(t, OpenAIChat, "parallel"), countingTools(runs), TurnOptions{})
	if !errors.Is(err, auraguard.ErrClosed) || runs["get_order"].Load() != 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestStalledTextAndTheRewriteMessage(t *testing.T) {
	for _, f := range formats {
		text, err := ReadText(f, fixture(t, f, "text"))
		if err != nil || text != "I'm sorry for the delay, I'm still checking." {
			t.Fatalf("%s: text %q, %v", f, text, err)
		}
		if calls, err := ReadCalls(f, fixture(t, f, "text")); err != nil || len(calls) != 0 {
			t.Fatalf("%s: calls %v, %v", f, calls, err)
		}
		g := newGuard(t, auraguard.Config{})
		var d *auraguard.Decision
		for i := 0; i < 4 && d == nil; i++ {
			if d, err = g.CheckOutput(text); err != nil {
				t.Fatal(err)
			}
		}
		if d == nil || d.Action != auraguard.Rewrite || d.InjectedSystem == "" {
			t.Fatalf("%s: the same stalling text four times gave %+v", f, d)
		}
		raw, err := SystemMessage(f, d.InjectedSystem, "")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		switch f {
		case OpenAIChat:
			if m["role"] != "system" || m["content"] != d.InjectedSystem {
				t.Fatalf("chat system message = %v", m)
			}
		case OpenAIResponses:
			if m["type"] != "message" || m["role"] != "developer" || m["content"] != d.InjectedSystem {
				t.Fatalf("responses developer item = %v", m)
			}
		case AnthropicMessages:
			if m["type"] != "text" || m["text"] != d.InjectedSystem {
				t.Fatalf("anthropic system block = %v", m)
			}
		}
	}
	if _, err := SystemMessage(OpenAIChat, "x", "assistant"); err == nil || !strings.Contains(err.Error(), `"assistant"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := SystemMessage(AnthropicMessages, "x", "developer"); err == nil {
		t.Fatal("Anthropic has no developer role")
	}
	if _, err := ResultMessages("gemini", nil); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestARewrittenCallRepliesWithTheInstructionAndTheTurnListsItOnce(t *testing.T) {
	g := newGuard(t, auraguard.Config{MaxCallsPerTool: auraguard.Int(1)})
	runs := map[string]*atomic.Int32{}
	calls := []ToolCall{
		NewToolCall("c1", "get_order", `{"order_id":"A1"}`),
		NewToolCall("c2", "get_order", `{"order_id":"A2"}`),
		NewToolCall("c3", "get_order", `{"order_id":"A3"}`),
		NewToolCall("c4", "get_order", `{"order_id":"A4"}`),
	}
	turn, err := RunCalls(context.Background(), g, calls, countingTools(runs), TurnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if runs["get_order"].Load() != 1 || turn.Stop != nil {
		t.Fatalf("get_order ran %d times, stop %+v", runs["get_order"].Load(), turn.Stop)
	}
	for _, c := range turn.Calls[1:] {
		if c.Decision.Action != auraguard.Rewrite || !c.Reply.IsError || c.Decision.InjectedSystem == "" ||
			!strings.Contains(c.Reply.Content, c.Decision.InjectedSystem) {
			t.Fatalf("a call over the cap: %+v", c)
		}
	}
	// The cap's instruction, then the quarantine's twice: each text once, in order.
	want := []string{turn.Calls[1].Decision.InjectedSystem, turn.Calls[2].Decision.InjectedSystem}
	if want[0] == want[1] || turn.Calls[3].Decision.InjectedSystem != want[1] ||
		len(turn.Rewrites) != 2 || turn.Rewrites[0] != want[0] || turn.Rewrites[1] != want[1] {
		t.Fatalf("rewrites = %q", turn.Rewrites)
	}
}

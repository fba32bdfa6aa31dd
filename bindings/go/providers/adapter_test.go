package providers

import (
	"context"
	"errors"
	"strings"
	"testing"

	auraguard "github.com/auraguard/libauraguard/bindings/go"
)

func TestGuardToolOutcomes(t *testing.T) {
	g := newGuard(t, auraguard.Config{ToolPolicies: map[string]auraguard.ToolPolicy{
		"delete_account": {Access: auraguard.AccessDeny},
		"wire_money":     {Access: auraguard.AccessHuman}}})
	ctx := context.Background()
	runs := 0
	refund := func(context.Context) (string, error) { runs++; return "R-1", nil }
	call := NewToolCall("c1", "refund", `{"order_id":"A1"}`)

	first, err := GuardTool(ctx, g, call, refund)
	if err != nil || first.Denied || first.Value != "R-1" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	replay, err := GuardTool(ctx, g, call, refund)
	if err != nil || replay.Denied || replay.Value != "R-1" || runs != 1 {
		t.Fatalf("replay = %+v, %v, runs %d", replay, err, runs)
	}
	denied, err := GuardTool(ctx, g, NewToolCall("c2", "delete_account", `{}`), refund)
	if err != nil || !denied.Denied || denied.Stop != nil || !strings.Contains(denied.Reply, "policy_deny") {
		t.Fatalf("denied = %+v, %v", denied, err)
	}
	stopped, err := GuardTool(ctx, g, NewToolCall("c3", "wire_money", `{}`), refund)
	if err != nil || stopped.Stop == nil || stopped.Stop.CallID != "c3" ||
		!strings.Contains(stopped.Stop.Error(), "wire_money (c3): escalate") {
		t.Fatalf("stopped = %+v, %v", stopped, err)
	}
	broken, err := GuardTool(ctx, g, NewToolCall("c4", "refund", `{"order_id":`), refund)
	if err != nil || !broken.Denied || !strings.Contains(broken.Reply, "not valid JSON") || runs != 1 {
		t.Fatalf("broken = %+v, %v", broken, err)
	}
	boom := errors.New("boom")
	_, err = GuardTool(ctx, g, NewToolCall("c5", "get_order", `{}`), func(context.Context) (string, error) { return "", boom })
	if !errors.Is(err, boom) {
		t.Fatalf("the tool's error was not passed on: %v", err)
	}
}

func TestCheckReply(t *testing.T) {
	g := newGuard(t, auraguard.Config{})
	stall := "I'm sorry for the delay, I'm still checking."
	var check ReplyCheck
	var err error
	for i := 0; i < 4 && check.Rewrite == ""; i++ {
		if check, err = CheckReply(g, stall); err != nil || check.Stop != nil {
			t.Fatalf("check %d = %+v, %v", i, check, err)
		}
	}
	if check.Rewrite == "" {
		t.Fatal("no rewrite for a repeated stall")
	}
	check, err = CheckReply(g, stall)
	if err != nil || check.Stop == nil || check.Stop.Tool != "" || check.Stop.Decision.Action != auraguard.Escalate {
		t.Fatalf("after the rewrite: %+v, %v", check, err)
	}
	if o := NewAdapterOptions(nil); o.MaxRewrites != 3 || o.ForCall("x", nil) != nil {
		t.Fatalf("defaults = %+v", o)
	}
}

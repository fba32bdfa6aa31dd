// A customer-support agent loop guarded by libauraguard.
//
// The "model" is scripted: it looks up an order, jitters its knowledge-base
// searches, issues the same refund twice, then stalls. Tools run through
// Guard.RunAsync (check, execute, record; a timeout of a side-effect tool is
// recorded as executed, so it is never repeated); assistant messages go
// through CheckOutput.
// The program exits non-zero if the guard failed to step in.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AuraGuard;

static class AgentLoop
{
    // What the scripted model does each turn: a tool call, or a message to the customer.
    private sealed class Step
    {
        public string Tool;
        public object Args;
        public string Message;
    }

    private static readonly Step[] Script =
    {
        new Step { Tool = "get_order", Args = new { order_id = "A-1001" } },
        new Step { Tool = "search_kb", Args = new { query = "refund policy" } },
        new Step { Tool = "search_kb", Args = new { query = "refund policy EU" } },
        new Step { Tool = "search_kb", Args = new { query = "refund policy EU Germany" } },
        new Step { Tool = "search_kb", Args = new { query = "refund policy Germany 2024" } },
        new Step { Tool = "refund", Args = new { order_id = "A-1001", amount = 25.0 } },
        new Step { Tool = "refund", Args = new { order_id = "A-1001", amount = 25.0 } },
        new Step { Message = "I'm sorry for the delay, I'm still checking." },
        new Step { Message = "I'm sorry for the delay, I'm still checking." },
        new Step { Message = "I'm sorry for the delay, I'm still checking." },
        new Step { Message = "{\"action\":\"finalize\",\"reason\":\"refund issued\"," +
                             "\"reply_draft\":\"Your refund of 25 EUR is on its way.\"}" },
    };

    // Stand-ins for real tools, asynchronous like an HTTP client's calls.
    private static async Task<object> ExecuteAsync(string tool, object args, CancellationToken token)
    {
        await Task.Delay(1, token).ConfigureAwait(false);
        switch (tool)
        {
            case "get_order": return new Dictionary<string, object> { { "status", "delivered" }, { "total", 25.0 } };
            case "search_kb": return new[] { "Refunds within 30 days." };
            case "refund": return new { refund_id = "R-" + Guid.NewGuid().ToString("N").Substring(0, 8) };
            default: throw new InvalidOperationException("no such tool: " + tool);
        }
    }

    static int Main()
    {
        var config = new GuardConfig { SecretKey = "agent-loop-demo-key", MaxCostPerRun = 1.0 };
        using (var guard = new Guard(config))
        {
            guard.Event += (sender, e) =>
            {
                if (e.EventType == "intervention") Console.WriteLine("    [event] " + e.Action + " " + e.Reason);
            };

            foreach (Step step in Script)
            {
                if (step.Tool != null) CallToolAsync(guard, step, CancellationToken.None).GetAwaiter().GetResult();
                else if (!SendMessage(guard, step.Message)) break;
            }

            Console.WriteLine();
            Console.WriteLine(guard.Report());
            GuardStats stats = guard.Stats();
            return stats.InterventionsCount > 0 && stats.ToolCallsExecuted > 0 ? 0 : 1;
        }
    }

    private static async Task CallToolAsync(Guard guard, Step step, CancellationToken token)
    {
        try
        {
            object result = await guard.RunAsync(step.Tool, step.Args, t => ExecuteAsync(step.Tool, step.Args, t),
                ticketId: "T-42", cancellationToken: token).ConfigureAwait(false);
            Console.WriteLine(step.Tool + " -> " + JsonWriter.ToJson(result));
        }
        catch (GuardDeniedException denied)
        {
            Decision d = denied.Decision;
            // A real loop feeds this back to the model instead of the tool's output.
            string feedback = d.InjectedSystem ?? d.Reason;
            Console.WriteLine(step.Tool + " -> " + d.ActionName + ": " + feedback);
        }
    }

    // Returns false when the turn is over (finalized or escalated).
    private static bool SendMessage(Guard guard, string text)
    {
        Decision d = guard.CheckOutput(text);
        if (d == null)
        {
            Console.WriteLine("assistant: " + text);
            return true;
        }
        switch (d.Action)
        {
            case GuardAction.Rewrite:
                Console.WriteLine("guard asks the model to decide: " + d.Reason);
                return true;
            case GuardAction.Finalize:
                Console.WriteLine("assistant (final): " + d.FinalizedOutput.ReplyDraft);
                return false;
            case GuardAction.Escalate:
                Console.WriteLine("handed to a human: " + d.EscalationPacket.Summary);
                return false;
            default:
                Console.WriteLine("guard: " + d.ActionName + " " + d.Reason);
                return true;
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using AuraGuard;
using AuraGuard.Providers;

class ProviderTurn
{
    static void Main(string[] args)
    {
        // The body the OpenAI Chat Completions API returned: the model asks for one refund twice.
        string response = File.ReadAllText(args.Length > 0 ? args[0] : "tests/fixtures/providers/openai_chat_repeat.json");
        var tools = new Dictionary<string, Func<JsonObject, Decision, object>>
        {
            // A side effect passes the guard's idempotency key on to the payment API.
            { "refund", (a, d) => new { refund_id = "R-1", order = a["order_id"], key = d.IdempotencyKey } },
        };
        using (var guard = new Guard(new GuardConfig { SecretKey = "change-me" }))
        {
            TurnResult turn = guard.RunTurn(ProviderFormat.OpenAIChat, response, tools, new TurnOptions { TicketId = "T-1" });
            foreach (string message in turn.Messages) Console.WriteLine(message); // append them, then call the model again
            if (turn.EndsTurn) Console.WriteLine("stop and " + turn.HostAction + ": " + turn.StoppedBy.Decision.Reason);
            Console.WriteLine("refunds executed: " + guard.Stats().ToolCallsExecuted);
        }
    }
}

using System;
using AuraGuard;

class Quickstart
{
    static void Main()
    {
        using (var guard = new Guard(new GuardConfig { SecretKey = "change-me" }))
            foreach (string ticket in new[] { "T-1", "T-1", "T-2" }) // the model asks for one refund three times
            {
                Decision d = guard.CheckTool("refund", new { order_id = "A-1001", amount = 25 }, ticket);
                if (d.Action == GuardAction.Allow) // run the tool here, then record what it returned
                    guard.RecordResult(true, new { refund_id = "R-1" }, callId: d.CallId);
                else if (d.Action == GuardAction.Cache) Console.WriteLine("already done: " + d.CachedResult.PayloadJson);
                else if (d.Action == GuardAction.Rewrite) Console.WriteLine("tell the model: " + d.InjectedSystem);
                else if (d.Action == GuardAction.Escalate) Console.WriteLine("hand to a human: " + d.EscalationPacket.Summary);
                else Console.WriteLine("refused: " + d.Reason);
            }
    }
}

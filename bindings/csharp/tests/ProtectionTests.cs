using System.Collections.Generic;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>The engine's protections, seen through the binding's typed decisions.</summary>
    [TestFixture]
    public class ProtectionTests
    {
        [Test]
        public void DoubleRefundIsReplayedFromTheLedgerNotExecutedAgain()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A-1001", amount = 25.0 };
                Decision first = guard.CheckTool("refund", args, "T-1");
                Assert.AreEqual(GuardAction.Allow, first.Action);
                Assert.IsTrue(first.CallId.HasValue);
                Assert.IsNotNull(first.IdempotencyKey);
                Assert.AreEqual(32, first.IdempotencyKey.Length);
                guard.RecordResult(true, new { refund_id = "R-77" }, callId: first.CallId);

                Decision again = guard.CheckTool("refund", args, "T-1");
                Assert.AreEqual(GuardAction.Cache, again.Action);
                Assert.AreEqual("idempotent_replay", again.Reason);
                Assert.IsNotNull(again.CachedResult);
                Assert.IsTrue(again.CachedResult.Cached);
                Assert.IsTrue(again.CachedResult.Ok);
                Assert.IsTrue(again.CachedResult.SideEffectExecuted);
                Assert.AreEqual("{\"refund_id\":\"R-77\"}", again.CachedResult.PayloadJson);
                Assert.IsNull(again.CallId);

                Decision otherTicket = guard.CheckTool("refund", args, "T-2");
                Assert.AreEqual(GuardAction.Block, otherTicket.Action);
                Assert.AreEqual("side_effect_limit_exceeded", otherTicket.Reason);

                GuardStats stats = guard.Stats();
                Assert.AreEqual(1, stats.ToolCallsExecuted);
                Assert.AreEqual(1, stats.CacheHits);
                Assert.AreEqual(1, stats.Blocks);
            }
        }

        [Test]
        public void JitteringSearchQueriesAreRewrittenThenQuarantined()
        {
            using (var guard = TestSupport.NewGuard())
            {
                string[] queries = { "refund policy", "refund policy EU", "refund policy EU Germany" };
                foreach (string q in queries)
                    Assert.AreEqual(GuardAction.Allow,
                        TestSupport.CheckAndRecordOk(guard, "search_kb", TestSupport.Args("query", q)).Action);

                Decision fourth = guard.CheckTool("search_kb", TestSupport.Args("query", "refund policy Germany 2024"));
                Assert.AreEqual(GuardAction.Rewrite, fourth.Action);
                Assert.AreEqual("arg_jitter_loop", fourth.Reason);
                Assert.IsFalse(string.IsNullOrEmpty(fourth.InjectedSystem));

                Decision later = guard.CheckTool("search_kb", TestSupport.Args("query", "shipping times"));
                Assert.AreEqual(GuardAction.Rewrite, later.Action);
                Assert.AreEqual("tool_quarantined:arg_jitter_loop", later.Reason);
                Assert.IsTrue(guard.Stats().QuarantinedTools.ContainsKey("search_kb"));
            }
        }

        [Test]
        public void SpendingPastTheBudgetEscalatesWithAPacket()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxCostPerRun = 0.10))
            {
                Assert.AreEqual(GuardAction.Allow,
                    TestSupport.CheckAndRecordOk(guard, "get_order", TestSupport.Args("order_id", "1")).Action);
                Assert.AreEqual(GuardAction.Allow,
                    TestSupport.CheckAndRecordOk(guard, "get_order", TestSupport.Args("order_id", "2")).Action);

                Decision third = guard.CheckTool("get_order", TestSupport.Args("order_id", "3"));
                Assert.AreEqual(GuardAction.Escalate, third.Action);
                Assert.AreEqual("cost_budget_exceeded", third.Reason);
                EscalationPacket packet = third.EscalationPacket;
                Assert.IsNotNull(packet);
                CollectionAssert.AreEqual(new[] { "budget_exceeded" }, packet.Tags);
                Assert.IsNull(packet.Route);
                Assert.AreEqual("null", packet.RouteJson);
                Assert.AreEqual(0.10, packet.Limit.Value, 1e-9);
                Assert.AreEqual(0.08, packet.CumulativeCost.Value, 1e-9);
                Assert.AreEqual(0.12, packet.ProjectedCost.Value, 1e-9);

                GuardStats stats = guard.Stats();
                Assert.AreEqual(0.10, stats.CostLimitUsd.Value, 1e-9);
                Assert.AreEqual(0.02, stats.CostRemainingUsd.Value, 1e-9);
                Assert.AreEqual(1, stats.Escalations);
            }
        }

        [Test]
        public void ThirdIdenticalReadIsServedFromCacheOnceRecorded()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = TestSupport.Args("order_id", "A-1");
                TestSupport.CheckAndRecordOk(guard, "get_order", args, payload: new { status = "shipped" });
                TestSupport.CheckAndRecordOk(guard, "get_order", args, payload: new { status = "shipped" });
                Decision third = guard.CheckTool("get_order", args);
                Assert.AreEqual(GuardAction.Cache, third.Action);
                Assert.AreEqual("identical_toolcall_loop_cache", third.Reason);
                var payload = (IDictionary<string, object>)third.CachedResult.Payload;
                Assert.AreEqual("shipped", payload["status"]);
            }
        }

        [Test]
        public void RepeatedServerErrorsQuarantineTheTool()
        {
            using (var guard = TestSupport.NewGuard())
            {
                for (int i = 0; i < 2; i++)
                {
                    Decision d = guard.CheckTool("get_order", TestSupport.Args("order_id", "o" + i));
                    Assert.AreEqual(GuardAction.Allow, d.Action);
                    guard.RecordResult(false, errorCode: "503", callId: d.CallId);
                }
                Decision next = guard.CheckTool("get_order", TestSupport.Args("order_id", "o9"));
                Assert.AreEqual(GuardAction.Rewrite, next.Action);
                Assert.AreEqual("tool_quarantined:error_retry:5xx", next.Reason);
                Assert.AreEqual(2, guard.Stats().ToolCallsFailed);
            }
        }

        [Test]
        public void StallingRepliesAreRewrittenThenTheForcedOutcomeEscalates()
        {
            using (var guard = TestSupport.NewGuard())
            {
                const string stall = "I'm sorry for the delay, I'm still checking.";
                Assert.IsNull(guard.CheckOutput(stall));
                Decision rewrite = guard.CheckOutput(stall);
                Assert.IsNotNull(rewrite);
                Assert.AreEqual(GuardAction.Rewrite, rewrite.Action);
                Assert.AreEqual("no_state_change_loop", rewrite.Reason);

                Decision outcome = guard.CheckOutput("{\"action\":\"escalate\",\"reason\":\"need order id\"," +
                    "\"escalation\":{\"route\":\"billing\",\"missing_info\":[\"order id\"],\"tags\":[\"x\"]}}");
                Assert.AreEqual(GuardAction.Escalate, outcome.Action);
                Assert.AreEqual("forced_escalate:need order id", outcome.Reason);
                Assert.AreEqual("billing", outcome.EscalationPacket.Route);
                CollectionAssert.AreEqual(new object[] { "order id" }, outcome.EscalationPacket.MissingInfo);
            }
        }

        [Test]
        public void ForcedFinalizeCarriesTheReplyDraft()
        {
            using (var guard = TestSupport.NewGuard())
            {
                const string stall = "I'm sorry for the delay, I'm still checking.";
                guard.CheckOutput(stall);
                Assert.AreEqual(GuardAction.Rewrite, guard.CheckOutput(stall).Action);
                Decision d = guard.CheckOutput(
                    "{\"action\":\"finalize\",\"reason\":\"answered\",\"reply_draft\":\"Your refund is on its way.\"}");
                Assert.AreEqual(GuardAction.Finalize, d.Action);
                Assert.AreEqual("Your refund is on its way.", d.FinalizedOutput.ReplyDraft);
                Assert.AreEqual("answered", d.FinalizedOutput.Reason);
            }
        }

        [Test]
        public void ShadowModeAllowsButCountsWhatItWouldDeny()
        {
            using (var guard = Guard.FromJson("{\"shadow_mode\": true}"))
            {
                var args = TestSupport.Args("order_id", "A");
                TestSupport.CheckAndRecordOk(guard, "refund", args, "T");
                Decision d = guard.CheckTool("refund", args, "T-other");
                Assert.AreEqual(GuardAction.Allow, d.Action);
                Assert.AreEqual("shadow_allow", d.Reason);
                Assert.IsTrue(d.CallId.HasValue);
                GuardStats stats = guard.Stats();
                Assert.IsTrue(stats.ShadowMode);
                Assert.AreEqual(1, stats.ShadowWouldDeny);
            }
        }

        [Test]
        public void TokenCostsAddToTheRun()
        {
            using (var guard = TestSupport.NewGuard())
            {
                guard.RecordTokens(1000, 1000);
                guard.RecordTokens(0, 0, 0.5);
                // 1k input at 0.003 + 1k output at 0.015, plus the override.
                Assert.AreEqual(0.518, guard.Stats().ReportedTokenCostUsd, 1e-9);
                var ex = Assert.Throws<AuraGuardException>(() => guard.RecordTokens(1, 1, -1.0));
                Assert.AreEqual(GuardStatus.InvalidArgument, ex.Status);
            }
        }

        [Test]
        public void ResetStartsANewRun()
        {
            using (var guard = TestSupport.NewGuard())
            {
                TestSupport.CheckAndRecordOk(guard, "refund", TestSupport.Args("order_id", "A"), "T");
                string runId = guard.Stats().RunId;
                guard.Reset();
                GuardStats stats = guard.Stats();
                Assert.AreEqual(0, stats.ToolCallsExecuted);
                Assert.AreNotEqual(runId, stats.RunId);
                Assert.AreEqual(GuardAction.Allow,
                    guard.CheckTool("refund", TestSupport.Args("order_id", "A"), "T").Action);
            }
        }

        [Test]
        public void ReportsNameTheInterventions()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = TestSupport.Args("order_id", "A");
                TestSupport.CheckAndRecordOk(guard, "refund", args, "T");
                guard.CheckTool("refund", args, "T2");
                JsonObject report = guard.ReportData();
                var byTool = (IDictionary<string, object>)report["by_tool"];
                Assert.AreEqual(1L, byTool["refund"]);
                CollectionAssert.AreEquivalent(report.Keys, ((JsonObject)JsonReader.Parse(guard.ReportJson())).Keys);
                // Report is text for a person, as in every binding.
                string text = guard.Report();
                StringAssert.Contains("side_effect_limit_exceeded", text);
                Assert.Throws<System.FormatException>(() => JsonReader.Parse(text));
            }
        }

        [Test]
        public void MalformedRawArgumentsAreRejectedClearly()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var ex = Assert.Throws<AuraGuardException>(() => guard.CheckTool("get_order", new RawJson("{\"a\":")));
                Assert.AreEqual(GuardStatus.InvalidArgument, ex.Status);
                Assert.IsFalse(string.IsNullOrEmpty(ex.NativeMessage));
            }
        }
    }
}

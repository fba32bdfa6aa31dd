using System;
using System.Collections.Generic;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Guard.Run on every action check_tool can return (finalize comes only from CheckOutput).</summary>
    [TestFixture]
    public class RunTests
    {
        [Test]
        public void AllowRunsTheToolAndRecordsItsValue()
        {
            using (var guard = TestSupport.NewGuard())
            {
                int runs = 0;
                int value = guard.Run("get_order", new { order_id = "1" }, () => { runs++; return 42; });
                Assert.AreEqual(42, value);
                Assert.AreEqual(1, runs);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(1, stats.ToolCallsExecuted);
                Assert.AreEqual(0, stats.PendingCalls);
            }
        }

        [Test]
        public void CacheReturnsTheRecordedValueWithoutRunningTheTool()
        {
            using (var guard = TestSupport.NewGuard())
            {
                int runs = 0;
                Func<int> tool = () => { runs++; return 42; };
                var args = new { order_id = "1" };
                guard.Run("get_order", args, tool);
                guard.Run("get_order", args, tool);
                int third = guard.Run("get_order", args, tool);
                Assert.AreEqual(42, third);
                Assert.AreEqual(2, runs);
                Assert.AreEqual(1, guard.Stats().CacheHits);
            }
        }

        [Test]
        public void ACachedSideEffectReturnsItsPayloadInTheRequestedShape()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                string first = guard.Run("refund", args, () => "R-1", "T-1");
                Assert.AreEqual("R-1", first);
                Assert.AreEqual("R-1", guard.Run<string>("refund", args, () => { throw new Exception("ran twice"); }, "T-1"));
                Assert.AreEqual("\"R-1\"", guard.Run<RawJson>("refund", args, () => null, "T-1").Json);
                Assert.AreEqual("R-1", guard.Run<object>("refund", args, () => null, "T-1"));
                Assert.Throws<InvalidCastException>(() => guard.Run<int>("refund", args, () => 0, "T-1"));
            }
        }

        [Test]
        public void ACachedObjectComesBackAsADictionary()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                guard.Run<object>("refund", args, () => new { refund_id = "R-9", amount = 12.5 }, "T");
                var cached = guard.Run<IDictionary<string, object>>("refund", args, () => null, "T");
                Assert.AreEqual("R-9", cached["refund_id"]);
                Assert.AreEqual(12.5, cached["amount"]);
            }
        }

        public class Line
        {
            public string Sku { get; set; }
            public int Quantity;
        }

        public enum RefundState { Pending, Sent }

        public class Receipt
        {
            public string RefundId { get; set; }
            public decimal Amount { get; set; }
            public RefundState State { get; set; }
            public List<Line> Lines { get; set; }
            public string[] Notes { get; set; }
            public Dictionary<string, long> Counts { get; set; }
            public string Missing { get; set; }
            public DateTime At { get; set; }
            public Guid Id { get; set; }
        }

        [Test]
        public void AReplayReturnsTheCallersOwnTypeLikeTheFirstCall()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                Receipt first = guard.Run("refund", args, () => new Receipt
                {
                    RefundId = "R-9",
                    Amount = 12.5m,
                    State = RefundState.Sent,
                    Lines = new List<Line> { new Line { Sku = "S-1", Quantity = 2 } },
                    Notes = new[] { "a", "b" },
                    Counts = new Dictionary<string, long> { { "x", 3 } },
                    At = new DateTime(2026, 12, 5, 10, 30, 0, DateTimeKind.Utc),
                    Id = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
                }, "T");
                Receipt replay = guard.Run<Receipt>("refund", args, () => { throw new Exception("ran twice"); }, "T");
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(first.RefundId, replay.RefundId);
                Assert.AreEqual(12.5m, replay.Amount);
                // Enums are written by name and read back from it.
                Assert.AreEqual(first.State, replay.State);
                Assert.AreEqual(1, replay.Lines.Count);
                Assert.AreEqual("S-1", replay.Lines[0].Sku);
                Assert.AreEqual(2, replay.Lines[0].Quantity);
                CollectionAssert.AreEqual(new[] { "a", "b" }, replay.Notes);
                Assert.AreEqual(3L, replay.Counts["x"]);
                Assert.IsNull(replay.Missing);
                Assert.AreEqual(first.At, replay.At);
                Assert.AreEqual(DateTimeKind.Utc, replay.At.Kind);
                Assert.AreEqual(first.Id, replay.Id);
            }
        }

        [Test]
        public void AReplayIntoATypeThatCannotHoldThePayloadSaysSo()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                guard.Run<object>("refund", args, () => new { RefundId = "R-9", Lines = "not a list" }, "T");
                var ex = Assert.Throws<InvalidCastException>(
                    () => guard.Run<Receipt>("refund", args, () => null, "T"));
                StringAssert.Contains("cannot be returned as Receipt", ex.Message);
            }
            using (var guard = TestSupport.NewGuard())
            {
                // snake_case keys fill PascalCase members.
                guard.Run<object>("refund", new { order_id = "B" }, () => new { refund_id = "R-10" }, "T");
                Assert.AreEqual("R-10", guard.Run<Receipt>("refund", new { order_id = "B" }, () => null, "T").RefundId);
            }
        }

        [Test]
        public void AResultTooLargeToKeepIsBookedAndItsReplaySaysSo()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxJsonBytes = 1024))
            {
                var args = new { order_id = "A" };
                Decision d = guard.CheckTool("refund", args, ticketId: "T-1");
                Assert.AreEqual(GuardAction.Allow, d.Action);
                guard.RecordResult(true, payload: new { receipt = new string('x', 4096) }, callId: d.CallId);
                Decision again = guard.CheckTool("refund", args, ticketId: "T-1");
                Assert.AreEqual(GuardAction.Cache, again.Action);
                Assert.AreEqual("idempotent_replay", again.Reason);
                Assert.IsFalse(again.CachedResult.PayloadKept);
                Assert.AreEqual("null", again.CachedResult.PayloadJson);
                Assert.IsTrue(again.CachedResult.Ok);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(1, stats.PayloadsNotKept);
                Assert.AreEqual(1, stats.ToolCallsExecuted);
                Assert.AreEqual(0, stats.LedgerErrors);

                // A kept payload says so, whether read through the fast path or from JSON.
                Func<string> read = () => "found";
                guard.Run("get_order", new { order_id = "B" }, read);
                guard.Run("get_order", new { order_id = "B" }, read);
                Decision cached = guard.CheckTool("get_order", new { order_id = "B" });
                Assert.AreEqual(GuardAction.Cache, cached.Action);
                Assert.IsTrue(cached.CachedResult.PayloadKept);
                Assert.IsTrue(Decision.Parse(cached.Json).CachedResult.PayloadKept);
            }
        }

        [Test]
        public void AThrowingToolIsRecordedAsFailedAndRethrown()
        {
            using (var guard = TestSupport.NewGuard(c =>
            {
                // An exception nothing classifies is recorded under the code "error".
                c.QuarantineErrorCodes = new List<string> { "error" };
                c.ErrorRetryThreshold = 1;
            }))
            {
                var thrown = new InvalidOperationException("backend down");
                var caught = Assert.Throws<InvalidOperationException>(
                    () => guard.Run<int>("get_order", new { order_id = "1" }, () => { throw thrown; }));
                Assert.AreSame(thrown, caught);
                Assert.AreEqual(1, guard.Stats().ToolCallsFailed);

                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.Run("get_order", new { order_id = "2" }, () => 1));
                Assert.AreEqual(GuardAction.Rewrite, denied.Decision.Action);
                Assert.AreEqual("tool_quarantined:error_retry:error", denied.Decision.Reason);
            }
        }

        [Test]
        public void RunOfObjectReturnsTheSameShapeFirstAndReplayed()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                object first = guard.Run<object>("refund", args, () => new { refund_id = "R-9", amount = 12.5 }, "T");
                object replay = guard.Run<object>("refund", args, () => { throw new Exception("ran twice"); }, "T");
                Assert.IsInstanceOf<JsonObject>(first);
                Assert.IsInstanceOf<JsonObject>(replay);
                CollectionAssert.AreEquivalent((JsonObject)first, (JsonObject)replay);
                Assert.AreEqual("R-9", ((JsonObject)first)["refund_id"]);
            }
        }

        [Test]
        public void BlockThrowsWithoutRunningTheTool()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                guard.Run("refund", args, () => "R-1", "T-1");
                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.Run<string>("refund", args, () => { throw new Exception("must not run"); }, "T-2"));
                Assert.AreEqual(GuardAction.Block, denied.Decision.Action);
                Assert.AreEqual("side_effect_limit_exceeded", denied.Decision.Reason);
                StringAssert.Contains("side_effect_limit_exceeded", denied.Message);
            }
        }

        [Test]
        public void RewriteThrowsWithTheTextForTheModel()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxCallsPerTool = 1))
            {
                guard.Run("get_order", new { order_id = "1" }, () => 1);
                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.Run("get_order", new { order_id = "2" }, () => 2));
                Assert.AreEqual(GuardAction.Rewrite, denied.Decision.Action);
                Assert.AreEqual("max_calls_per_tool", denied.Decision.Reason);
                Assert.IsFalse(string.IsNullOrEmpty(denied.Decision.InjectedSystem));
            }
        }

        [Test]
        public void EscalateThrowsWithThePacket()
        {
            using (var guard = TestSupport.NewGuard(c => c.ToolPolicies = new Dictionary<string, ToolPolicy>
            {
                { "delete_account", new ToolPolicy { Access = ToolAccess.Human, Risk = "high" } },
            }))
            {
                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.Run("delete_account", new { user = "u1" }, () => true));
                Assert.AreEqual(GuardAction.Escalate, denied.Decision.Action);
                Assert.AreEqual("policy_human_approval_required", denied.Decision.Reason);
                Assert.AreEqual("human_approval", denied.Decision.EscalationPacket.Route);
                CollectionAssert.Contains(denied.Decision.EscalationPacket.Tags, "risk:high");
                Assert.AreEqual("high", denied.Decision.EscalationPacket.Risk);
            }
        }

        [Test]
        public void ACachedFailureIsADenialNotAValue()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                Decision d = guard.CheckTool("refund", args, "T");
                guard.RecordResult(false, errorCode: "timeout", sideEffectExecuted: true, callId: d.CallId);
                var denied = Assert.Throws<GuardDeniedException>(() => guard.Run("refund", args, () => "again", "T"));
                Assert.AreEqual(GuardAction.Cache, denied.Decision.Action);
                Assert.IsFalse(denied.Decision.CachedResult.Ok);
                Assert.AreEqual("timeout", denied.Decision.CachedResult.ErrorCode);
            }
        }
    }
}

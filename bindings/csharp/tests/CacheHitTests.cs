using System.Collections.Generic;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Cache hits read from the call block the check went through: each hit
    /// carries the result it was answered with, however hits on different results
    /// alternate, and what one caller does with its decision reaches no other.</summary>
    [TestFixture]
    public class CacheHitTests
    {
        private const string TimedOut = "upstream_timeout \u00fc";

        [Test]
        public void HitsOnDifferentResultsInTurnEachCarryTheirOwn()
        {
            using (var guard = TestSupport.NewGuard(c => c.RepeatToolcallThreshold = 2))
            {
                var first = new RawJson("{\"order_id\":\"A-1\"}");
                var second = new RawJson("{\"order_id\":\"A-2\"}");
                var refund = new RawJson("{\"order_id\":\"A-3\",\"amount\":5}");
                TestSupport.CheckAndRecordOk(guard, "get_order", first, "T-1", new RawJson("{\"n\":1}"));
                TestSupport.CheckAndRecordOk(guard, "get_order", second, "T-1", new RawJson("{\"n\":\"\u00e9\"}"));
                // A side effect that timed out after it was sent: replayed as a failure
                // with its error code.
                Decision sent = guard.CheckTool("refund", refund, "T-1", sideEffect: true);
                guard.RecordResult(false, errorCode: TimedOut, sideEffectExecuted: true, callId: sent.CallId);

                for (int round = 0; round < 3; round++)
                {
                    Decision a = guard.CheckTool("get_order", first, "T-1");
                    Decision b = guard.CheckTool("get_order", second, "T-1");
                    Decision r = guard.CheckTool("refund", refund, "T-1", sideEffect: true);
                    Decision again = guard.CheckTool("get_order", second, "T-1");

                    Assert.AreEqual(GuardAction.Cache, a.Action, "round " + round);
                    Assert.AreEqual("{\"n\":1}", a.CachedResult.PayloadJson, "round " + round);
                    Assert.IsNull(a.CachedResult.ErrorCode);
                    Assert.IsTrue(a.CachedResult.Ok);
                    Assert.AreEqual("{\"n\":\"\u00e9\"}", b.CachedResult.PayloadJson, "round " + round);
                    Assert.AreEqual(b.CachedResult.PayloadJson, again.CachedResult.PayloadJson);
                    Assert.AreEqual("idempotent_replay", r.Reason);
                    Assert.IsFalse(r.CachedResult.Ok);
                    Assert.IsTrue(r.CachedResult.SideEffectExecuted);
                    Assert.AreEqual(TimedOut, r.CachedResult.ErrorCode, "round " + round);
                    Assert.AreEqual("null", r.CachedResult.PayloadJson);
                    Assert.IsNull(again.CachedResult.ErrorCode);
                    StringAssert.Contains("\"payload\":{\"n\":\"\u00e9\"}", again.Json);
                }
            }
        }

        [Test]
        public void ChangingOneHitsPayloadValuesLeavesTheNextHitAlone()
        {
            using (var guard = TestSupport.NewGuard(c => c.RepeatToolcallThreshold = 2))
            {
                var args = new RawJson("{\"order_id\":\"A-1\"}");
                TestSupport.CheckAndRecordOk(guard, "get_order", args, "T-1", new RawJson("{\"status\":\"shipped\"}"));

                Decision first = guard.CheckTool("get_order", args, "T-1");
                var values = (Dictionary<string, object>)first.CachedResult.Payload;
                values["status"] = "refunded";
                values["extra"] = 1L;

                Decision second = guard.CheckTool("get_order", args, "T-1");
                Assert.AreNotSame(first.CachedResult, second.CachedResult);
                var fresh = (Dictionary<string, object>)second.CachedResult.Payload;
                Assert.AreEqual("shipped", fresh["status"]);
                Assert.IsFalse(fresh.ContainsKey("extra"));
                Assert.AreEqual("{\"status\":\"shipped\"}", second.CachedResult.PayloadJson);
            }
        }
    }
}

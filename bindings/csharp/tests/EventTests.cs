using System;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Events raised from the native callback.</summary>
    [TestFixture]
    public class EventTests
    {
        [Test]
        public void InterventionAndCostEventsArrive()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var received = new List<GuardEventArgs>();
                guard.Event += (sender, e) =>
                {
                    Assert.AreSame(guard, sender);
                    received.Add(e);
                };
                var args = new { order_id = "A" };
                TestSupport.CheckAndRecordOk(guard, "refund", args, "T");
                guard.CheckTool("refund", args, "T2");

                GuardEventArgs cost = received.Find(e => e.EventType == "cost");
                Assert.IsNotNull(cost, "a cost event for the executed call");
                Assert.AreEqual("tool_call", cost.CostKind);
                Assert.AreEqual(0.04, cost.AmountUsd.Value, 1e-9);

                GuardEventArgs block = received.Find(e => e.EventType == "intervention");
                Assert.IsNotNull(block, "an intervention event for the block");
                Assert.AreEqual("refund", block.Tool);
                Assert.AreEqual("block", block.Action);
                Assert.AreEqual("side_effect_limit_exceeded", block.Reason);
                Assert.AreEqual(64, block.ArgsSig.Length);
                Assert.AreEqual(guard.Stats().RunId, block.RunId);
            }
        }

        [Test]
        public void EventsNeverCarryRawArgumentsTicketsOrPayloads()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var seen = new List<string>();
                guard.Event += (s, e) => seen.Add(e.Json);
                var args = new { order_id = "SECRET-ORDER-4242", note = "SECRET-NOTE" };
                for (int i = 0; i < 3; i++)
                    TestSupport.CheckAndRecordOk(guard, "refund", args, "SECRET-TICKET", "SECRET-PAYLOAD");
                guard.CheckTool("refund", args, "OTHER-SECRET-TICKET");

                Assert.IsNotEmpty(seen);
                foreach (string json in seen)
                    StringAssert.DoesNotContain("SECRET", json);
            }
        }

        [Test]
        public void AThrowingHandlerSurfacesAfterTheCallAndTheOtherHandlersStillRun()
        {
            using (var guard = TestSupport.NewGuard())
            {
                int later = 0;
                var bug = new InvalidOperationException("handler bug");
                guard.Event += (s, e) => { throw bug; };
                guard.Event += (s, e) => later++;

                Decision d = guard.CheckTool("get_order", new { order_id = "1" });
                Assert.AreEqual(GuardAction.Allow, d.Action);
                var thrown = Assert.Throws<InvalidOperationException>(
                    () => guard.RecordResult(true, "x", callId: d.CallId)); // a cost event
                Assert.AreSame(bug, thrown);
                Assert.Greater(later, 0);
                // The result was recorded before the handlers ran.
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
            }
        }

        [Test]
        public void AThrowingHandlerInRunSurfacesOnceTheCallIsRecorded()
        {
            using (var guard = TestSupport.NewGuard())
            {
                guard.Event += (s, e) => { throw new InvalidOperationException("handler bug"); };
                int ran = 0;
                Assert.Throws<InvalidOperationException>(() => guard.Run("get_order", new { order_id = "1" }, () => ++ran));
                Assert.AreEqual(1, ran);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
            }
        }

        [Test]
        public void SubscribingFromManyThreadsWhileEventsFlowNeverBlocks()
        {
            using (var guard = TestSupport.NewGuard(c => c.Concurrency = 4))
            {
                long seen = 0;
                EventHandler<GuardEventArgs> handler = null;
                handler = (s, e) =>
                {
                    Interlocked.Increment(ref seen);
                    guard.Event -= handler; // from inside a handler
                    guard.Event += handler;
                };
                var threads = new List<Thread>();
                for (int w = 0; w < 4; w++)
                {
                    int worker = w;
                    var t = new Thread(() =>
                    {
                        for (int i = 0; i < 200; i++)
                        {
                            if (worker % 2 == 0)
                            {
                                guard.Event += handler;
                                guard.Event -= handler;
                            }
                            guard.Run("get_order", new { order_id = worker + "-" + i }, () => i);
                        }
                    });
                    threads.Add(t);
                    t.Start();
                }
                foreach (Thread t in threads) Assert.IsTrue(t.Join(TimeSpan.FromMinutes(2)), "a thread is stuck");
                long last = 0;
                guard.Event += (s, e) => Interlocked.Increment(ref last);
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "last" });
                Assert.AreEqual(1, Interlocked.Read(ref last));
                Assert.AreEqual(801, guard.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void AHandlerMayCallBackIntoTheGuard()
        {
            using (var guard = TestSupport.NewGuard())
            {
                long executedSeen = -1;
                guard.Event += (s, e) => executedSeen = guard.Stats().ToolCallsExecuted;
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "1" });
                Assert.AreEqual(1, executedSeen);
            }
        }

        [Test]
        public void AHandlerCheckingAnotherCallLeavesTheDecisionBeingAnsweredIntact()
        {
            // The handler runs on the calling thread before the decision is returned, and
            // its own check reuses that thread's buffers.
            using (var guard = TestSupport.NewGuard(c => c.RepeatToolcallThreshold = 2))
            {
                var args = new RawJson("{\"order_id\":\"A-1\"}");
                TestSupport.CheckAndRecordOk(guard, "get_order", args, "T-1", new RawJson("{\"name\":\"\u00e9l\u00e8ve\"}"));
                Decision inner = null;
                guard.Event += (s, e) =>
                {
                    if (inner == null && e.EventType == "intervention")
                        inner = guard.CheckTool("search_kb", TestSupport.Args("query", "r\u00fcckgabe"), "T-9", true);
                };
                Decision outer = guard.CheckTool("get_order", args, "T-1");

                Assert.IsNotNull(inner);
                Assert.AreEqual(GuardAction.Allow, inner.Action);
                Assert.AreEqual(GuardAction.Cache, outer.Action);
                Assert.AreEqual("identical_toolcall_loop_cache", outer.Reason);
                Assert.AreEqual("{\"name\":\"\u00e9l\u00e8ve\"}", outer.CachedResult.PayloadJson);
                Assert.IsNull(outer.CallId);
                StringAssert.Contains("\"payload\":{\"name\":\"\u00e9l\u00e8ve\"}", outer.Json);
            }
        }

        [Test]
        public void UnsubscribingStopsEvents()
        {
            using (var guard = TestSupport.NewGuard())
            {
                int count = 0;
                EventHandler<GuardEventArgs> handler = (s, e) => count++;
                guard.Event += handler;
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "1" });
                int afterFirst = count;
                Assert.Greater(afterFirst, 0);
                guard.Event -= handler;
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "2" });
                Assert.AreEqual(afterFirst, count);
            }
        }
    }
}

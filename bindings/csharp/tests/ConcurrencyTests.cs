using System;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>One guard shared by 16 threads: its counters add up to what the threads saw.</summary>
    [TestFixture]
    public class ConcurrencyTests
    {
        private const int Threads = 16;
        private const int Iterations = 40;

        [Test]
        public void CountersEqualTheDecisionsTheThreadsReceived()
        {
            using (var guard = TestSupport.NewGuard(c =>
            {
                c.MaxPendingCalls = Threads;
                c.SequenceDetectionEnabled = false;
            }))
            {
                long allowed = 0, cached = 0, blocked = 0, rewritten = 0, escalated = 0, failedRecords = 0;
                long events = 0;
                var callIds = new HashSet<ulong>();
                var errors = new List<Exception>();
                guard.Event += (s, e) => { if (e.EventType == "intervention") Interlocked.Increment(ref events); };

                var workers = new List<Thread>();
                using (var start = new ManualResetEvent(false))
                {
                    for (int t = 0; t < Threads; t++)
                    {
                        int thread = t;
                        var worker = new Thread(() =>
                        {
                            start.WaitOne();
                            try
                            {
                                for (int i = 0; i < Iterations; i++)
                                {
                                    // Distinct reads, plus a read every thread shares, which
                                    // the guard caches or blocks once it repeats.
                                    object args = i % 4 == 3
                                        ? (object)TestSupport.Args("sku", "shared")
                                        : new { order_id = thread + "-" + i };
                                    string tool = i % 4 == 3 ? "get_catalog" : "get_order";
                                    Decision d = guard.CheckTool(tool, args);
                                    switch (d.Action)
                                    {
                                        case GuardAction.Allow:
                                            Interlocked.Increment(ref allowed);
                                            lock (callIds) Assert.IsTrue(callIds.Add(d.CallId.Value), "call ids are unique");
                                            guard.RecordResult(true, new { n = i }, callId: d.CallId);
                                            break;
                                        case GuardAction.Cache: Interlocked.Increment(ref cached); break;
                                        case GuardAction.Block: Interlocked.Increment(ref blocked); break;
                                        case GuardAction.Rewrite: Interlocked.Increment(ref rewritten); break;
                                        case GuardAction.Escalate: Interlocked.Increment(ref escalated); break;
                                        default: Interlocked.Increment(ref failedRecords); break;
                                    }
                                }
                            }
                            catch (Exception ex)
                            {
                                lock (errors) errors.Add(ex);
                            }
                        });
                        worker.Start();
                        workers.Add(worker);
                    }
                    start.Set();
                    foreach (var w in workers) w.Join();
                }

                Assert.IsEmpty(errors, errors.Count > 0 ? errors[0].ToString() : "");
                Assert.AreEqual(0, failedRecords);
                Assert.AreEqual(Threads * Iterations, allowed + cached + blocked + rewritten + escalated);
                Assert.Greater(allowed, Threads * Iterations / 2);

                GuardStats stats = guard.Stats();
                Assert.AreEqual(allowed, stats.ToolCallsExecuted);
                Assert.AreEqual(cached, stats.CacheHits);
                Assert.AreEqual(blocked, stats.Blocks);
                Assert.AreEqual(rewritten, stats.RewriteDecisions);
                Assert.AreEqual(escalated, stats.Escalations);
                Assert.AreEqual(cached + blocked + rewritten + escalated, stats.ToolCallsDenied);
                Assert.AreEqual(0, stats.MissedResults);
                Assert.AreEqual(0, stats.PendingCalls);
                Assert.AreEqual(stats.InterventionsCount, Interlocked.Read(ref events));
            }
        }
    }
}

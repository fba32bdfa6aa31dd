using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Run's safe defaults: failures classified, side effects never repeated,
    /// outcomes kept when they cannot be recorded, concurrency honoured.</summary>
    [TestFixture]
    public class SafeRunTests
    {
        private static void Post(string url, int timeoutMs = 20000)
        {
            var request = (HttpWebRequest)WebRequest.Create(url);
            request.Method = "POST";
            request.ContentLength = 0;
            request.Timeout = timeoutMs;
            using (request.GetResponse()) { }
        }

        private static Exception Failure(Action call)
        {
            try
            {
                call();
            }
            catch (Exception ex)
            {
                return ex;
            }
            Assert.Fail("the call did not fail");
            return null;
        }

        [Test]
        public void DotNetFailuresMapToTheGuardsClasses()
        {
            using (var hanging = LoopbackServer.Hanging())
            using (var unavailable = LoopbackServer.Answering(503))
            using (var limited = LoopbackServer.Answering(429))
            using (var client = new HttpClient { Timeout = TimeSpan.FromMilliseconds(100) })
            {
                var cases = new List<KeyValuePair<Exception, string>>
                {
                    Pair(new TimeoutException(), "timeout (Unknown)"),
                    Pair(Failure(() => Post(hanging.Url, 100)), "timeout (Unknown)"),
                    Pair(Failure(() => client.GetAsync(hanging.Url).Wait()), "timeout (Unknown)"),
                    Pair(Failure(() => Post(LoopbackServer.Closed())), "connection_error (NotExecuted)"),
                    Pair(Failure(() => new TcpClient().Connect("127.0.0.1",
                        new Uri(LoopbackServer.Closed()).Port)), "connection_error (NotExecuted)"),
                    Pair(new SocketException((int)SocketError.ConnectionReset), "connection_error (Unknown)"),
                    Pair(new IOException("read", new SocketException((int)SocketError.ConnectionReset)),
                        "connection_error (Unknown)"),
                    Pair(Failure(() => Post(unavailable.Url)), "503 (NotExecuted)"),
                    Pair(Failure(() => Post(limited.Url)), "429 (NotExecuted)"),
                    Pair(Failure(() => client.GetAsync(unavailable.Url).Result.EnsureSuccessStatusCode()),
                        "503 (NotExecuted)"),
                    Pair(new ToolFailedException("queue full", "timeout", false), "timeout (NotExecuted)"),
                    Pair(new AggregateException(new TimeoutException()), "timeout (Unknown)"),
                    Pair(new InvalidOperationException(), "error (Unknown)"),
                };
                foreach (var c in cases)
                    Assert.AreEqual(c.Value, ErrorClassifier.Classify(c.Key).ToString(), c.Key.GetType().Name + ": " + c.Key.Message);

                using (var cts = new CancellationTokenSource())
                {
                    cts.Cancel();
                    Assert.AreEqual("cancelled (Unknown)",
                        ErrorClassifier.Classify(new OperationCanceledException(cts.Token), cts.Token).ToString());
                }
            }
        }

        private static KeyValuePair<Exception, string> Pair(Exception e, string want)
        {
            return new KeyValuePair<Exception, string>(e, want);
        }

        [Test]
        public void EachMappedFailureQuarantinesTheToolAfterTheThreshold()
        {
            var servers = new Dictionary<string, LoopbackServer>
            {
                { "429", LoopbackServer.Answering(429) },
                { "5xx", LoopbackServer.Answering(502) },
                { "401", LoopbackServer.Answering(401) },
                { "403", LoopbackServer.Answering(403) },
                { "timeout", LoopbackServer.Hanging() },
            };
            try
            {
                var urls = new Dictionary<string, string>();
                foreach (var s in servers) urls[s.Key] = s.Value.Url;
                urls["connection_error"] = LoopbackServer.Closed();
                foreach (var pair in urls)
                {
                    using (var guard = TestSupport.NewGuard())
                    {
                        for (int i = 0; i < 2; i++)
                        {
                            string url = pair.Value;
                            Assert.Catch<WebException>(() => guard.Run("fetch", new { page = i }, () =>
                            {
                                Post(url, 100);
                                return "ok";
                            }), pair.Key);
                        }
                        var denied = Assert.Throws<GuardDeniedException>(
                            () => guard.Run("fetch", new { page = 9 }, () => "must not run"), pair.Key);
                        Assert.AreEqual("tool_quarantined:error_retry:" + pair.Key, denied.Decision.Reason);
                    }
                }
            }
            finally
            {
                foreach (var s in servers.Values) s.Dispose();
            }
        }

        [Test]
        public void ATimedOutRefundExecutesOnceAcrossRetries()
        {
            using (var server = LoopbackServer.Hanging())
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                for (int i = 0; i < 3; i++)
                {
                    try
                    {
                        guard.Run("refund", args, () => { Post(server.Url + "refund", 1000); return "refunded"; }, "T-1");
                    }
                    catch (WebException)
                    {
                        Assert.AreEqual(0, i, "only the first call may reach the tool");
                    }
                    catch (GuardDeniedException denied)
                    {
                        Assert.AreEqual(GuardAction.Cache, denied.Decision.Action);
                        Assert.AreEqual("timeout", denied.Decision.CachedResult.ErrorCode);
                    }
                }
                Assert.AreEqual(1, server.Requests);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void ATimedOutAsyncRefundExecutesOnceAcrossRetries()
        {
            using (var server = LoopbackServer.Hanging())
            using (var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
            using (var guard = TestSupport.NewGuard())
            {
                var args = new { order_id = "A" };
                int refunds = 0;
                Func<CancellationToken, Task<string>> refund = async token =>
                {
                    refunds++;
                    HttpResponseMessage response = await client.PostAsync(server.Url + "refund", new StringContent(""), token)
                        .ConfigureAwait(false);
                    return response.StatusCode.ToString();
                };
                Assert.Catch<OperationCanceledException>(() => guard.RunAsync("refund", args, refund, "T-1").GetAwaiter().GetResult());
                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.RunAsync("refund", args, refund, "T-1").GetAwaiter().GetResult());
                Assert.AreEqual("timeout", denied.Decision.CachedResult.ErrorCode);
                Assert.AreEqual(1, refunds);
                Assert.AreEqual(1, server.Requests);
            }
        }

        [Test]
        public void RunAsyncRecordsACancellationAsSuch()
        {
            using (var guard = TestSupport.NewGuard())
            using (var cts = new CancellationTokenSource())
            {
                var args = new { order_id = "A" };
                int refunds = 0;
                Func<CancellationToken, Task<string>> refund = async token =>
                {
                    refunds++;
                    cts.Cancel(); // the caller gives up while the refund is on its way
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                    return "never";
                };
                Assert.Catch<OperationCanceledException>(
                    () => guard.RunAsync("refund", args, refund, "T-1", null, cts.Token).GetAwaiter().GetResult());
                var denied = Assert.Throws<GuardDeniedException>(
                    () => guard.RunAsync("refund", args, refund, "T-1").GetAwaiter().GetResult());
                Assert.AreEqual("cancelled", denied.Decision.CachedResult.ErrorCode);
                Assert.AreEqual(1, refunds);

                // A token already cancelled checks nothing.
                long denials = guard.Stats().ToolCallsDenied;
                Assert.Catch<OperationCanceledException>(
                    () => guard.RunAsync("get_order", args, t => Task.FromResult(1), null, null, cts.Token).GetAwaiter().GetResult());
                Assert.AreEqual(denials, guard.Stats().ToolCallsDenied);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
            }
        }

        [Test]
        public void ATimeoutThatNeverLeftMayBeRetried()
        {
            using (var guard = TestSupport.NewGuard())
            {
                int attempts = 0;
                Func<string> refund = () =>
                {
                    if (++attempts == 1) throw new ToolFailedException("queue full", "timeout", sideEffectExecuted: false);
                    return "refunded";
                };
                Assert.Throws<ToolFailedException>(() => guard.Run("refund", new { order_id = "A" }, refund, "T-1"));
                Assert.AreEqual("refunded", guard.Run("refund", new { order_id = "A" }, refund, "T-1"));
                Assert.AreEqual(2, attempts);
            }
        }

        [Test]
        public void TheClassifierCanBeReplaced()
        {
            using (var guard = TestSupport.NewGuard())
            {
                guard.ErrorClassifier = (ex, token) => ex is KeyNotFoundException
                    ? new ToolFailure("429", SideEffectOutcome.NotExecuted)
                    : ErrorClassifier.Classify(ex, token);
                for (int i = 0; i < 2; i++)
                    Assert.Throws<KeyNotFoundException>(
                        () => guard.Run<int>("search_kb", new { query = i }, () => { throw new KeyNotFoundException(); }));
                Assert.AreEqual("error_retry:429", guard.Stats().QuarantinedTools["search_kb"]);
            }
        }

        [Test]
        public void AValueThatCannotBeRecordedIsStillReturnedAndReported()
        {
            // A value over MaxJsonBytes is booked by the engine without its
            // payload: only the value that is no JSON fails to record.
            using (var guard = TestSupport.NewGuard(c => c.MaxJsonBytes = 1024))
            {
                var events = new List<GuardEventArgs>();
                guard.Event += (s, e) => { if (e.EventType == "record_failed") events.Add(e); };
                int refunds = 0;
                string big = new string('7', 2000);
                Func<string> refund = () => { refunds++; return big; };
                Assert.AreEqual(big, guard.Run("refund", new { order_id = "A" }, refund, "T"));
                Assert.AreEqual(double.PositiveInfinity, guard.Run("get_rate", null, () => double.PositiveInfinity));
                Assert.AreEqual(1, guard.RecordFailures);
                Assert.AreEqual(1, events.Count);
                Assert.AreEqual("get_rate", events[0].Tool);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(2, stats.ToolCallsExecuted);
                Assert.AreEqual(0, stats.PendingCalls);
                // The refund was recorded as executed: it is never allowed again.
                guard.Run<object>("refund", new { order_id = "A" }, () => refund(), "T");
                Assert.AreEqual(1, refunds);
            }
        }

        [Test]
        public void ThreadsTimesPairsAreAllRecorded()
        {
            const int threads = 8, pairs = 500;
            using (var guard = TestSupport.NewGuard(c => { c.Concurrency = threads; c.MaxCallsPerTool = threads * pairs; }))
            {
                long ran = 0;
                var errors = new List<Exception>();
                var workers = new List<Thread>();
                for (int w = 0; w < threads; w++)
                {
                    int worker = w;
                    var t = new Thread(() =>
                    {
                        try
                        {
                            for (int i = 0; i < pairs; i++)
                                guard.Run("lookup", new { key = worker + "-" + i }, () => Interlocked.Increment(ref ran));
                        }
                        catch (Exception ex)
                        {
                            lock (errors) errors.Add(ex);
                        }
                    });
                    workers.Add(t);
                    t.Start();
                }
                foreach (Thread t in workers) t.Join();
                CollectionAssert.IsEmpty(errors);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(threads * pairs, ran);
                Assert.AreEqual(threads * pairs, stats.ToolCallsExecuted);
                Assert.AreEqual(0, stats.MissedResults);
            }
        }

        [Test]
        public void RunBeyondTheConcurrencyIsRefusedBeforeTheCheck()
        {
            using (var guard = TestSupport.NewGuard())
            using (var inside = new ManualResetEventSlim())
            using (var release = new ManualResetEventSlim())
            {
                Task<string> slow = Task.Run(() => guard.Run("slow", null, () => { inside.Set(); release.Wait(); return "ok"; }));
                inside.Wait();
                var busy = Assert.Throws<GuardBusyException>(() => guard.Run("other", null, () => "must not run"));
                StringAssert.Contains("Concurrency", busy.Message);
                release.Set();
                Assert.AreEqual("ok", slow.Result);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
            var ex = Assert.Throws<AuraGuardException>(() => TestSupport.NewGuard(c => c.Concurrency = 0));
            Assert.AreEqual(GuardStatus.Config, ex.Status);
        }

        [Test]
        public void RunsInFlightFollowMaxPendingCallsHoweverItIsGiven()
        {
            var guards = new Dictionary<string, Guard>
            {
                { "MaxPendingCalls", TestSupport.NewGuard(c => c.MaxPendingCalls = 2) },
                { "Concurrency", TestSupport.NewGuard(c => c.Concurrency = 2) },
                { "JSON", Guard.FromJson("{\"secret_key\":\"" + TestSupport.Key + "\",\"max_pending_calls\":2}") },
            };
            foreach (var named in guards)
            {
                Guard guard = named.Value;
                using (guard)
                using (var inside = new CountdownEvent(2))
                using (var release = new ManualResetEventSlim())
                {
                    var slow = new List<Task<string>>();
                    for (int i = 0; i < 2; i++)
                    {
                        string tool = "slow_" + i;
                        slow.Add(Task.Run(() => guard.Run(tool, null, () => { inside.Signal(); release.Wait(); return "ok"; })));
                    }
                    // Both inside (or one refused, which fails the wait's result below).
                    Task.WaitAny(Task.Run(() => inside.Wait()), Task.WhenAny(slow));
                    Assert.AreEqual(0, inside.CurrentCount, named.Key + ": both runs should be inside");
                    Assert.Throws<GuardBusyException>(() => guard.Run("third", null, () => "must not run"), named.Key);
                    release.Set();
                    foreach (var t in slow) Assert.AreEqual("ok", t.Result, named.Key);
                }
            }
        }

        [Test]
        public void EveryStringRejectsNul()
        {
            using (var guard = TestSupport.NewGuard())
            {
                Assert.Throws<ArgumentException>(() => guard.CheckTool("get\0order"));
                Assert.Throws<ArgumentException>(() => guard.CheckTool("t", null, "T\01"));
                Assert.Throws<ArgumentException>(() => guard.CheckTool("t", new RawJson("{\"a\":\"\0\"}")));
                Assert.Throws<ArgumentException>(() => guard.CheckOutput("hi\0there"));
                Assert.Throws<ArgumentException>(() => guard.RecordResultJson("{\"ok\":true}\0"));
                Assert.Throws<ArgumentException>(() => guard.LoadState("{\0}"));
                Assert.Throws<ArgumentException>(() => Guard.FromJson("{\"secret_key\":\"k\0\"}"));
                Assert.AreEqual(0, guard.Stats().PendingCalls);
                Assert.AreEqual(0, guard.Stats().ToolCallsDenied);
            }
        }
    }
}

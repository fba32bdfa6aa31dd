using System;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Disposal: the native guard is freed once and never used afterwards.</summary>
    [TestFixture]
    public class LifetimeTests
    {
        [Test]
        public void EveryCallAfterDisposeThrowsObjectDisposedException()
        {
            var guard = TestSupport.NewGuard();
            guard.Dispose();
            Assert.Throws<ObjectDisposedException>(() => guard.CheckTool("get_order"));
            Assert.Throws<ObjectDisposedException>(() => guard.RecordResult(true));
            Assert.Throws<ObjectDisposedException>(() => guard.CheckOutput("hello"));
            Assert.Throws<ObjectDisposedException>(() => guard.RecordTokens(1, 1));
            Assert.Throws<ObjectDisposedException>(() => guard.Stats());
            Assert.Throws<ObjectDisposedException>(() => guard.Report());
            Assert.Throws<ObjectDisposedException>(() => guard.ReportText());
            Assert.Throws<ObjectDisposedException>(() => guard.SaveState());
            Assert.Throws<ObjectDisposedException>(() => guard.LoadState("{}"));
            Assert.Throws<ObjectDisposedException>(() => guard.Reset());
            Assert.Throws<ObjectDisposedException>(() => guard.Run("get_order", null, () => 1));
            Assert.Throws<ObjectDisposedException>(() => guard.Event += (s, e) => { });
        }

        [Test]
        public void DisposingTwiceIsFine()
        {
            var guard = TestSupport.NewGuard();
            guard.Event += (s, e) => { };
            guard.Dispose();
            guard.Dispose();
            StringAssert.Contains("disposed", guard.ToString());
        }

        [Test]
        public void AGuardDisposedInsideItsOwnEventHandlerIsFreedAfterTheCallReturns()
        {
            var guard = TestSupport.NewGuard();
            guard.Event += (s, e) => guard.Dispose();
            Decision d = guard.CheckTool("get_order", new { order_id = "1" });
            guard.RecordResult(true, "x", callId: d.CallId);
            Assert.Throws<ObjectDisposedException>(() => guard.Stats());
        }

        [Test]
        public void DisposingWhileOtherThreadsCallEndsTheirCallsWithObjectDisposedOnly()
        {
            for (int round = 0; round < 20; round++)
            {
                var guard = TestSupport.NewGuard(c => c.MaxPendingCalls = 8);
                var unexpected = new List<Exception>();
                var threads = new List<Thread>();
                int started = 0;
                for (int t = 0; t < 4; t++)
                {
                    int thread = t;
                    var worker = new Thread(() =>
                    {
                        Interlocked.Increment(ref started);
                        try
                        {
                            for (int i = 0; ; i++)
                            {
                                Decision d = guard.CheckTool("get_order", new RawJson("{\"id\":\"" + thread + "-" + i + "\"}"));
                                if (d.IsAllowed) guard.RecordResult(true, new RawJson("{\"n\":1}"), callId: d.CallId);
                                guard.CheckOutput("Order " + i + " ships today.");
                            }
                        }
                        catch (ObjectDisposedException)
                        {
                            // The way every thread's loop ends.
                        }
                        catch (Exception ex)
                        {
                            lock (unexpected) unexpected.Add(ex);
                        }
                    });
                    worker.Start();
                    threads.Add(worker);
                }
                while (Volatile.Read(ref started) < 4) Thread.Sleep(0);
                Thread.Sleep(round % 5);
                guard.Dispose();
                foreach (var w in threads) Assert.IsTrue(w.Join(10000), "a call never returned");

                Assert.IsEmpty(unexpected, unexpected.Count > 0 ? unexpected[0].ToString() : "");
                Assert.Throws<ObjectDisposedException>(() => guard.CheckTool("get_order"));
                StringAssert.Contains("disposed", guard.ToString());
            }
        }

        [Test]
        public void NullArgumentsAreRejectedBeforeReachingNativeCode()
        {
            using (var guard = TestSupport.NewGuard())
            {
                Assert.Throws<ArgumentNullException>(() => guard.CheckTool(null));
                Assert.Throws<ArgumentNullException>(() => guard.CheckOutput(null));
                Assert.Throws<ArgumentNullException>(() => guard.LoadState(null));
                Assert.Throws<ArgumentNullException>(() => guard.Run<int>("t", null, null));
                Assert.Throws<ArgumentNullException>(() => new Guard(null));
                Assert.Throws<ArgumentNullException>(() => Guard.FromJson(null));
            }
        }
    }
}

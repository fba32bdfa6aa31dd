using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>The idempotency ledger shared through a SQLite file by separate guards.</summary>
    [TestFixture]
    public class LedgerTests
    {
        private string _dir;

        [SetUp]
        public void MakeFolder()
        {
            _dir = Path.Combine(Path.GetTempPath(), "auraguard-cs-ledger-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
        }

        [TearDown]
        public void RemoveFolder()
        {
            Directory.Delete(_dir, true);
        }

        private Guard SqliteGuard()
        {
            return TestSupport.NewGuard(c =>
            {
                c.SideEffectTools = new List<string> { "refund" };
                c.SideEffectMaxExecutedPerRun = 100;
                c.Ledger = LedgerStore.Sqlite(Path.Combine(_dir, "ledger.db"));
                c.ToolPolicies = new Dictionary<string, ToolPolicy> { { "refund", new ToolPolicy { LeaseMs = 30000 } } };
            });
        }

        private static readonly Dictionary<string, object> Refund =
            new Dictionary<string, object> { { "order_id", "A-1" }, { "amount", 50 } };

        [Test]
        public void SeparateGuardsRacingOnOneRefundGetOneAllow()
        {
            const int n = 8;
            var guards = new List<Guard>();
            for (int i = 0; i < n; i++) guards.Add(SqliteGuard());
            var reasons = new List<string>();
            int executed = 0;
            var errors = new List<Exception>();
            var workers = new List<Thread>();
            using (var start = new ManualResetEvent(false))
            {
                foreach (var g in guards)
                {
                    var guard = g;
                    var worker = new Thread(() =>
                    {
                        start.WaitOne();
                        try
                        {
                            Decision d = guard.CheckTool("refund", Refund, "T-1");
                            if (d.Action == GuardAction.Allow)
                            {
                                Interlocked.Increment(ref executed);
                                Assert.AreEqual(30000UL, d.LeaseMs);
                            }
                            lock (reasons) reasons.Add(d.Reason);
                        }
                        catch (Exception e)
                        {
                            lock (errors) errors.Add(e);
                        }
                    });
                    worker.Start();
                    workers.Add(worker);
                }
                start.Set();
                foreach (var w in workers) w.Join();
            }
            foreach (var g in guards) g.Dispose();
            Assert.IsEmpty(errors);
            Assert.AreEqual(1, executed, string.Join(",", reasons));
            foreach (var r in reasons)
                Assert.That(r == "allow" || r == "side_effect_in_flight", r);
        }

        [Test]
        public void ResolveIsFollowedByEveryGuardOnTheStore()
        {
            using (var a = SqliteGuard())
            using (var b = SqliteGuard())
            {
                Decision held = a.CheckTool("refund", Refund, "T-2");
                Assert.AreEqual(GuardAction.Allow, held.Action);
                Decision busy = b.CheckTool("refund", Refund, "T-2");
                Assert.AreEqual("side_effect_in_flight", busy.Reason);
                Assert.That(busy.RetryAfterMs > 0UL);
                b.LedgerResolve(held.IdempotencyKey, LedgerOutcome.Executed);
                Decision replay = a.CheckTool("refund", Refund, "T-2");
                Assert.AreEqual(GuardAction.Cache, replay.Action);
                Assert.AreEqual("idempotent_replay", replay.Reason);
                a.LedgerResolve(held.IdempotencyKey, LedgerOutcome.NotExecuted);
                Assert.AreEqual(GuardAction.Allow, b.CheckTool("refund", Refund, "T-2").Action);

                var e = Assert.Throws<AuraGuardException>(() => a.LedgerResolve("not-a-key", LedgerOutcome.Executed));
                Assert.AreEqual(GuardStatus.InvalidArgument, e.Status);
                e = Assert.Throws<AuraGuardException>(() => a.LedgerResolve(held.IdempotencyKey, (LedgerOutcome)7));
                Assert.AreEqual(GuardStatus.InvalidArgument, e.Status);
            }
        }

        [Test]
        public void TypedLedgerConfigurationReachesTheEngine()
        {
            using (var g = TestSupport.NewGuard(c =>
            {
                c.RunId = "job-7";
                c.Ledger = LedgerStore.Sqlite(Path.Combine(_dir, "ledger.db"));
                c.LedgerOnError = LedgerOnError.FailOpen;
                c.LedgerLeaseMs = 1000;
                c.LedgerTtlS = 3600;
                c.LedgerStorePayload = true;
            }))
            {
                Assert.AreEqual("job-7", g.Stats().RunId);
            }
            var bad = Assert.Throws<AuraGuardException>(() => TestSupport.NewGuard(c =>
                c.Ledger = LedgerStore.Sqlite("/nonexistent-auraguard-dir/ledger.db")));
            Assert.AreEqual(GuardStatus.Config, bad.Status);
            StringAssert.Contains("/nonexistent-auraguard-dir/ledger.db", bad.Message);
            bad = Assert.Throws<AuraGuardException>(() => TestSupport.NewGuard(c => c.LedgerOnError = "ignore"));
            StringAssert.Contains("ledger_on_error", bad.Message);
        }
    }
}

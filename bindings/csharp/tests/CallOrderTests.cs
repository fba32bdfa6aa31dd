using System.Linq;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Check/record ordering: strict mode's misuse errors and parallel calls by call id.</summary>
    [TestFixture]
    public class CallOrderTests
    {
        [Test]
        public void StrictModeRefusesACheckWhileACallAwaitsItsResult()
        {
            using (var guard = TestSupport.NewGuard(c => c.StrictMode = true))
            {
                Decision d = guard.CheckTool("get_order", TestSupport.Args("order_id", "1"));
                Assert.AreEqual(GuardAction.Allow, d.Action);

                var ex = Assert.Throws<AuraGuardException>(
                    () => guard.CheckTool("get_order", TestSupport.Args("order_id", "2")));
                Assert.AreEqual(GuardStatus.Misuse, ex.Status);
                StringAssert.Contains("AURAGUARD_ERR_MISUSE", ex.Message);

                // Nothing changed: the first call can still be recorded.
                guard.RecordResult(true, "fine", callId: d.CallId);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void StrictModeRefusesARecordWithNothingAwaiting()
        {
            using (var guard = TestSupport.NewGuard(c => c.StrictMode = true))
            {
                var ex = Assert.Throws<AuraGuardException>(() => guard.RecordResult(true));
                Assert.AreEqual(GuardStatus.Misuse, ex.Status);
            }
        }

        [Test]
        public void WithoutStrictModeAMissedResultIsCounted()
        {
            using (var guard = TestSupport.NewGuard())
            {
                guard.CheckTool("get_order", TestSupport.Args("order_id", "1"));
                guard.CheckTool("get_order", TestSupport.Args("order_id", "2"));
                Assert.AreEqual(1, guard.Stats().MissedResults);
            }
        }

        [Test]
        public void ParallelCallsAreRecordedByCallIdInAnyOrder()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxPendingCalls = 3))
            {
                Decision a = guard.CheckTool("get_order", TestSupport.Args("order_id", "a"));
                Decision b = guard.CheckTool("get_order", TestSupport.Args("order_id", "b"));
                Decision c2 = guard.CheckTool("get_order", TestSupport.Args("order_id", "c"));
                Assert.AreEqual(3, new[] { a.CallId, b.CallId, c2.CallId }.Distinct().Count());
                Assert.AreEqual(3, guard.Stats().PendingCalls);

                guard.RecordResult(true, "B", callId: b.CallId);
                guard.RecordResult(false, errorCode: "timeout", callId: c2.CallId);
                guard.RecordResult(true, "A", callId: a.CallId);

                GuardStats stats = guard.Stats();
                Assert.AreEqual(0, stats.PendingCalls);
                Assert.AreEqual(0, stats.MissedResults);
                Assert.AreEqual(3, stats.ToolCallsExecuted);
                Assert.AreEqual(1, stats.ToolCallsFailed);

                var ex = Assert.Throws<AuraGuardException>(() => guard.RecordResult(true, callId: a.CallId));
                Assert.AreEqual(GuardStatus.InvalidArgument, ex.Status);
                ex = Assert.Throws<AuraGuardException>(() => guard.RecordResult(true, callId: 999999UL));
                Assert.AreEqual(GuardStatus.InvalidArgument, ex.Status);
            }
        }

        [Test]
        public void ARawResultWithAnUnknownFieldIsRejected()
        {
            using (var guard = TestSupport.NewGuard())
            {
                guard.CheckTool("get_order", TestSupport.Args("order_id", "1"));
                var ex = Assert.Throws<AuraGuardException>(() => guard.RecordResultJson("{\"ok\":true,\"extra\":1}"));
                Assert.AreEqual(GuardStatus.InvalidArgument, ex.Status);
                guard.RecordResultJson("{\"ok\":true,\"payload\":[1,2,3]}");
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
        }
    }
}

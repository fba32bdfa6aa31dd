using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Saving a run's state and restoring it into another guard.</summary>
    [TestFixture]
    public class StateTests
    {
        private static string StateAfterOneRefund()
        {
            using (var guard = TestSupport.NewGuard())
            {
                Decision d = guard.CheckTool("refund", new { order_id = "SECRET-ORDER" }, "SECRET-TICKET");
                Assert.AreEqual(GuardAction.Allow, d.Action);
                guard.RecordResult(true, new { refund_id = "SECRET-PAYLOAD" }, callId: d.CallId);
                return guard.SaveState();
            }
        }

        [Test]
        public void ADuplicateRefundIsStillCaughtAfterRestoringIntoANewGuard()
        {
            string state = StateAfterOneRefund();
            using (var restored = TestSupport.NewGuard())
            {
                restored.LoadState(state);
                Decision again = restored.CheckTool("refund", new { order_id = "SECRET-ORDER" }, "SECRET-TICKET");
                Assert.AreEqual(GuardAction.Cache, again.Action);
                Assert.AreEqual("idempotent_replay", again.Reason);
                Assert.IsTrue(again.CachedResult.SideEffectExecuted);

                Decision otherTicket = restored.CheckTool("refund", new { order_id = "SECRET-ORDER" }, "T-2");
                Assert.AreEqual(GuardAction.Block, otherTicket.Action);
                Assert.AreEqual(1, restored.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void TheSavedStateHoldsNoRawArgumentsTicketsOrPayloads()
        {
            StringAssert.DoesNotContain("SECRET", StateAfterOneRefund());
        }

        [Test]
        public void ATamperedStateIsRefusedAndTheGuardIsUnchanged()
        {
            string state = StateAfterOneRefund();
            string tampered = state.Replace("\"tool_calls_executed\":1", "\"tool_calls_executed\":7");
            Assert.AreNotEqual(state, tampered, "the saved state carries the executed count");

            using (var guard = TestSupport.NewGuard())
            {
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "x" });
                string before = guard.Stats().Json;

                var ex = Assert.Throws<AuraGuardException>(() => guard.LoadState(tampered));
                Assert.AreEqual(GuardStatus.State, ex.Status);
                Assert.AreEqual(before, guard.Stats().Json);
            }
        }

        [Test]
        public void AStateSavedUnderAnotherKeyIsRefused()
        {
            string state = StateAfterOneRefund();
            using (var other = new Guard(new GuardConfig { SecretKey = "another-key" }))
            {
                var ex = Assert.Throws<AuraGuardException>(() => other.LoadState(state));
                Assert.AreEqual(GuardStatus.State, ex.Status);
            }
        }

        [Test]
        public void TextThatIsNotAStateIsRefused()
        {
            using (var guard = TestSupport.NewGuard())
            {
                Assert.AreEqual(GuardStatus.State,
                    Assert.Throws<AuraGuardException>(() => guard.LoadState("{\"format\":\"nope\"}")).Status);
            }
        }
    }
}

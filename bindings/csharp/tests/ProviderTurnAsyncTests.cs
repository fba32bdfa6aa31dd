using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using AuraGuard;
using AuraGuard.Providers;

namespace AuraGuard.Tests
{
    /// <summary>Whole turns with asynchronous tools.</summary>
    [TestFixture]
    public class ProviderTurnAsyncTests
    {
        [Test]
        public void AsynchronousToolsRunAtOnceAndADoubleRefundRunsOnce()
        {
            using (var guard = TestSupport.NewGuard(c => c.Concurrency = 3))
            {
                int arrived = 0, refunds = 0;
                var allHere = new TaskCompletionSource<bool>();
                Func<string, Func<JsonObject, Decision, CancellationToken, Task<object>>> lookup = name => async (args, d, token) =>
                {
                    // Each waits for the other two: only calls running at once get past.
                    if (Interlocked.Increment(ref arrived) == 3) allHere.TrySetResult(true);
                    Task first = await Task.WhenAny(allHere.Task, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
                    if (first != allHere.Task) throw new InvalidOperationException(name + " ran alone");
                    return name + " done";
                };
                var tools = new Dictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>>
                {
                    { "get_order", lookup("get_order") }, { "search_kb", lookup("search_kb") }, { "get_shipping", lookup("get_shipping") },
                    { "refund", async (args, d, token) => { await Task.Yield(); Interlocked.Increment(ref refunds); return new { refund_id = "R-1" }; } },
                };
                var options = new TurnOptions { TicketId = "T-1", MaxParallel = 3 };
                TurnResult parallel = guard.RunTurnAsync(ProviderFormat.OpenAIResponses,
                    ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "parallel"), tools, options).Result;
                CollectionAssert.AreEqual(new[] { "get_order done", "search_kb done", "get_shipping done" },
                    ProviderFixtures.Results(ProviderFormat.OpenAIResponses, parallel.Messages).ConvertAll(r => r.Text));

                TurnResult repeat = guard.RunTurnAsync(ProviderFormat.OpenAIResponses,
                    ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "repeat"), tools, options).Result;
                Assert.AreEqual(1, refunds);
                var results = ProviderFixtures.Results(ProviderFormat.OpenAIResponses, repeat.Messages);
                Assert.AreEqual("{\"refund_id\":\"R-1\"}", results[0].Text);
                Assert.AreEqual(results[0].Text, results[1].Text);
                Assert.AreEqual(4, guard.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void ACancelledTokenChecksNothing()
        {
            using (var guard = TestSupport.NewGuard())
            using (var cancel = new CancellationTokenSource())
            {
                cancel.Cancel();
                var tools = new Dictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>>
                {
                    { "refund", (args, d, token) => Task.FromResult<object>("ran") },
                };
                Assert.Throws<OperationCanceledException>(() => guard.RunTurnAsync(ProviderFormat.AnthropicMessages,
                    ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "repeat"), tools, null, cancel.Token));
                Assert.AreEqual(0, guard.Stats().ToolCallsExecuted + guard.Stats().ToolCallsDenied);
            }
        }

        [Test]
        public void ARefundCancelledMidCallCountsAsDoneAndIsNotRetried()
        {
            using (var guard = TestSupport.NewGuard())
            using (var cancel = new CancellationTokenSource())
            {
                int attempts = 0;
                var tools = new Dictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>>
                {
                    { "refund", async (args, d, token) =>
                        {
                            Interlocked.Increment(ref attempts);
                            cancel.Cancel(); // the host gives up while the payment request is out
                            await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                            return "unreachable";
                        } },
                };
                string response = ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "repeat");
                TurnResult turn = guard.RunTurnAsync(ProviderFormat.AnthropicMessages, response, tools, null, cancel.Token).Result;
                Assert.AreEqual(1, attempts);
                var results = ProviderFixtures.Results(ProviderFormat.AnthropicMessages, turn.Messages);
                Assert.AreEqual(true, results[0].IsError);
                StringAssert.StartsWith("Error: the tool failed (TaskCanceledException", results[0].Text);
                // It may have acted: the copy is not run, and is answered as a replay of a failure.
                Assert.AreEqual(GuardAction.Cache, turn.Calls[1].Decision.Action);
                Assert.AreEqual(true, results[1].IsError);
                Assert.AreEqual(1, guard.Stats().ToolCallsFailed);
            }
        }

        [Test]
        public void AToolReturningNoTaskIsAFailedCallNotACrash()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var tools = new Dictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>>
                {
                    { "get_order", (args, d, token) => null },
                    { "refund", (args, d, token) => Task.FromResult<object>("refunded") },
                };
                TurnResult turn = guard.RunTurnAsync(ProviderFormat.OpenAIChat,
                    ProviderFixtures.Load(ProviderFormat.OpenAIChat, "malformed"), tools).Result;
                Assert.AreEqual("Error: the tool failed (InvalidOperationException: the tool function of get_order returned no Task).",
                    turn.Calls[0].ResultText);
                Assert.AreEqual(1, guard.Stats().ToolCallsFailed);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
            }
        }
    }
}

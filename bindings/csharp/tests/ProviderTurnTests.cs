using System;
using System.Collections.Generic;
using System.Threading;
using NUnit.Framework;
using AuraGuard;
using AuraGuard.Providers;

namespace AuraGuard.Tests
{
    /// <summary>Whole turns over the recorded responses: what runs, what is recorded, what the model is told.</summary>
    [TestFixture]
    public class ProviderTurnTests
    {
        private int _refunds, _lookups;

        [SetUp]
        public void Reset()
        {
            _refunds = 0;
            _lookups = 0;
        }

        private Dictionary<string, Func<JsonObject, Decision, object>> Tools()
        {
            return new Dictionary<string, Func<JsonObject, Decision, object>>
            {
                { "get_order", (args, d) => { Interlocked.Increment(ref _lookups); return new { order_id = args["order_id"], status = "shipped" }; } },
                { "search_kb", (args, d) => "Refunds within 30 days." },
                { "get_shipping", (args, d) => new { carrier = "UPS" } },
                { "refund", (args, d) => { Interlocked.Increment(ref _refunds); return new { refund_id = "R-1", key = d.IdempotencyKey }; } },
            };
        }

        [Test]
        public void ADoubleRefundInsideOneResponseRunsOnceAndBothCallsAreAnswered(
            [Values(ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages)] ProviderFormat format,
            [Values(1, 4)] int parallel)
        {
            using (var guard = TestSupport.NewGuard(c => c.Concurrency = parallel))
            {
                string response = ProviderFixtures.Load(format, "repeat");
                TurnResult turn = guard.RunTurn(format, response, Tools(), new TurnOptions { TicketId = "T-1", MaxParallel = parallel });
                Assert.AreEqual(1, _refunds);
                IList<ToolCall> calls = ProviderMessages.ReadToolCalls(format, response);
                var results = ProviderFixtures.Results(format, turn.Messages);
                Assert.AreEqual(2, results.Count);
                Assert.AreEqual(calls[0].Id, results[0].Id);
                Assert.AreEqual(calls[1].Id, results[1].Id);
                // The first ran; the second is the ledger's replay of it: the same payload, not an error.
                var first = (JsonObject)JsonReader.Parse(results[0].Text);
                Assert.AreEqual("R-1", first["refund_id"]);
                Assert.AreEqual(32, ((string)first["key"]).Length);
                // The engine keeps the payload as canonical JSON (keys sorted): the same value.
                CollectionAssert.AreEquivalent(first, (JsonObject)JsonReader.Parse(results[1].Text));
                Assert.IsTrue(turn.Calls[0].Ran);
                Assert.IsFalse(turn.Calls[1].Ran);
                Assert.AreEqual(GuardAction.Cache, turn.Calls[1].Decision.Action);
                Assert.AreEqual("idempotent_replay", turn.Calls[1].Decision.Reason);
                if (format == ProviderFormat.AnthropicMessages)
                    Assert.AreEqual(new bool?[] { false, false }, new[] { results[0].IsError, results[1].IsError });
                Assert.IsFalse(turn.EndsTurn);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(1, stats.ToolCallsExecuted);
                Assert.AreEqual(1, stats.CacheHits);
                Assert.AreEqual(0, stats.MissedResults);
                Assert.AreEqual(0, stats.PendingCalls);
            }
        }

        [Test]
        public void InParallelACopyWithItsKeysInAnotherOrderStillWaitsForTheFirst()
        {
            using (var guard = TestSupport.NewGuard(c => c.Concurrency = 2))
            {
                string response = ProviderReadingTests.Chat(
                    "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"refund\",\"arguments\":\"{\\\"order_id\\\":\\\"A1\\\",\\\"amount\\\":30}\"}}," +
                    "{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"refund\",\"arguments\":\"{\\\"amount\\\":30, \\\"order_id\\\":\\\"A1\\\"}\"}}");
                TurnResult turn = guard.RunTurn(ProviderFormat.OpenAIChat, response, Tools(), new TurnOptions { MaxParallel = 2 });
                Assert.AreEqual(1, _refunds);
                Assert.AreEqual("idempotent_replay", turn.Calls[1].Decision.Reason);
                CollectionAssert.AreEqual(new[] { "c1", "c2" },
                    new[] { ProviderFixtures.Results(ProviderFormat.OpenAIChat, turn.Messages)[0].Id,
                            ProviderFixtures.Results(ProviderFormat.OpenAIChat, turn.Messages)[1].Id });
            }
        }

        [Test]
        public void AMalformedCallIsAnsweredWithAnErrorAndTheOtherRuns(
            [Values(ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages)] ProviderFormat format)
        {
            using (var guard = TestSupport.NewGuard())
            {
                TurnResult turn = guard.RunTurn(format, ProviderFixtures.Load(format, "malformed"), Tools());
                var results = ProviderFixtures.Results(format, turn.Messages);
                Assert.AreEqual(2, results.Count);
                Assert.AreEqual("shipped", ((JsonObject)JsonReader.Parse(results[0].Text))["status"]);
                StringAssert.StartsWith("Not executed: ", results[1].Text);
                StringAssert.Contains(format == ProviderFormat.AnthropicMessages ? "must be a JSON object" : "not valid JSON", results[1].Text);
                StringAssert.EndsWith("Call refund again with its arguments as one JSON object.", results[1].Text);
                if (format == ProviderFormat.AnthropicMessages)
                    Assert.AreEqual(new bool?[] { false, true }, new[] { results[0].IsError, results[1].IsError });
                Assert.AreEqual(0, _refunds);
                Assert.IsNull(turn.Calls[1].Decision, "a call without usable arguments is not put to the guard");
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(0, guard.Stats().ToolCallsDenied);
            }
        }

        [Test]
        public void ParallelCallsRunAtOnceAndAreAnsweredInTheModelsOrder(
            [Values(ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages)] ProviderFormat format)
        {
            using (var guard = TestSupport.NewGuard(c => c.Concurrency = 3))
            using (var together = new Barrier(3))
            {
                var ended = new List<string>();
                Func<string, Func<JsonObject, Decision, object>> tool = name => (args, d) =>
                {
                    // Each waits for the other two: only calls running at once get past.
                    bool met = together.SignalAndWait(TimeSpan.FromSeconds(30));
                    if (!met) throw new InvalidOperationException(name + " ran alone");
                    if (name == "get_order") Thread.Sleep(50); // finishes last
                    lock (ended) ended.Add(name);
                    return name + " done";
                };
                var tools = new Dictionary<string, Func<JsonObject, Decision, object>>
                {
                    { "get_order", tool("get_order") }, { "search_kb", tool("search_kb") }, { "get_shipping", tool("get_shipping") },
                };
                TurnResult turn = guard.RunTurn(format, ProviderFixtures.Load(format, "parallel"), tools,
                    new TurnOptions { MaxParallel = 3 });
                var results = ProviderFixtures.Results(format, turn.Messages);
                CollectionAssert.AreEqual(new[] { "get_order done", "search_kb done", "get_shipping done" },
                    new[] { results[0].Text, results[1].Text, results[2].Text });
                Assert.AreEqual("get_order", ended[2]);
                IList<ToolCall> calls = ProviderMessages.ReadToolCalls(format, ProviderFixtures.Load(format, "parallel"));
                CollectionAssert.AreEqual(new[] { calls[0].Id, calls[1].Id, calls[2].Id }, new[] { results[0].Id, results[1].Id, results[2].Id });
                Assert.AreEqual(3, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(0, guard.Stats().MissedResults);
                foreach (GuardedCall c in turn.Calls) Assert.IsNull(c.RecordError);
            }
        }

        [Test]
        public void ParallelBeyondTheGuardsConcurrencyIsReportedPerCallNotLost()
        {
            using (var guard = TestSupport.NewGuard()) // one call may await its result
            {
                TurnResult turn = guard.RunTurn(ProviderFormat.OpenAIChat, ProviderFixtures.Load(ProviderFormat.OpenAIChat, "parallel"),
                    Tools(), new TurnOptions { MaxParallel = 3 });
                Assert.AreEqual(3, turn.Messages.Count, "every call is still answered");
                StringAssert.Contains("call_id", turn.Calls[0].RecordError);
                Assert.IsNull(turn.Calls[2].RecordError);
                Assert.AreEqual(2, guard.Stats().MissedResults);
            }
        }

        [Test]
        public void ARepeatedSideEffectOnAnotherTicketIsBlockedWithAReason()
        {
            using (var guard = TestSupport.NewGuard())
            {
                string response = ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "repeat");
                guard.RunTurn(ProviderFormat.AnthropicMessages, response, Tools(), new TurnOptions { TicketId = "T-1" });
                TurnResult again = guard.RunTurn(ProviderFormat.AnthropicMessages, response, Tools(), new TurnOptions { TicketId = "T-2" });
                Assert.AreEqual(1, _refunds);
                var results = ProviderFixtures.Results(ProviderFormat.AnthropicMessages, again.Messages);
                foreach (var r in results)
                {
                    Assert.AreEqual(true, r.IsError);
                    Assert.AreEqual("Not executed: the guard blocked this call (side_effect_limit_exceeded). This action was " +
                        "already carried out in this run and may not be repeated; tell the user it is done.", r.Text);
                }
            }
        }

        [Test]
        public void ARewriteTellsTheModelWhatToDoInTheResultAndAsAnInstruction(
            [Values(ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages)] ProviderFormat format)
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxCallsPerTool = 1))
            {
                string response = ProviderFixtures.Load(format, "parallel");
                guard.RunTurn(format, response, Tools());
                TurnResult again = guard.RunTurn(format, response, Tools());
                Assert.AreEqual(1, _lookups);
                GuardedCall lookup = again.Calls[0];
                Assert.AreEqual(GuardAction.Rewrite, lookup.Decision.Action);
                Assert.AreEqual("max_calls_per_tool", lookup.Decision.Reason);
                Assert.IsTrue(lookup.IsError);
                Assert.AreEqual("Not executed (max_calls_per_tool). " + lookup.Decision.InjectedSystem,
                    ProviderFixtures.Results(format, again.Messages)[0].Text);
                // Each rewritten call brings its own instruction (each names its tool).
                Assert.AreEqual(3, again.SystemMessages.Count);
                Assert.AreEqual(ProviderMessages.SystemMessage(format, lookup.Decision.InjectedSystem), again.SystemMessages[0]);
                StringAssert.Contains("get_order", lookup.Decision.InjectedSystem);
                Assert.AreEqual(HostAction.None, again.HostAction);
            }
        }

        [Test]
        public void AnEscalationEndsTheTurnAndTheCallsAfterItDoNotRun(
            [Values(ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages)] ProviderFormat format,
            [Values(1, 3)] int parallel)
        {
            using (var guard = TestSupport.NewGuard(c =>
            {
                c.Concurrency = parallel;
                c.ToolPolicies = new Dictionary<string, ToolPolicy> { { "search_kb", new ToolPolicy { Access = ToolAccess.Human } } };
            }))
            {
                TurnResult turn = guard.RunTurn(format, ProviderFixtures.Load(format, "parallel"), Tools(),
                    new TurnOptions { MaxParallel = parallel });
                Assert.IsTrue(turn.EndsTurn);
                Assert.AreEqual(HostAction.Escalate, turn.HostAction);
                Assert.AreSame(turn.Calls[1], turn.StoppedBy);
                Assert.AreEqual("human_approval", turn.StoppedBy.Decision.EscalationPacket.Route);
                var results = ProviderFixtures.Results(format, turn.Messages);
                Assert.AreEqual(3, results.Count);
                Assert.AreEqual("shipped", ((JsonObject)JsonReader.Parse(results[0].Text))["status"], "the call before it ran");
                Assert.AreEqual("Not executed: this call needs a person (policy_human_approval_required). Stop calling tools; " +
                    "the conversation is being handed to a human.", results[1].Text);
                Assert.AreEqual("Not executed: the run was stopped by an earlier call (policy_human_approval_required). " +
                    "Do not call more tools.", results[2].Text);
                Assert.IsNull(turn.Calls[2].Decision);
                Assert.IsFalse(turn.Calls[2].Ran);
                GuardStats stats = guard.Stats();
                Assert.AreEqual(1, stats.ToolCallsExecuted);
                Assert.AreEqual(1, stats.Escalations);
                Assert.AreEqual(0, stats.PendingCalls);
            }
        }

        [Test]
        public void AFailingToolIsRecordedAsFailedAndTheModelToldSo()
        {
            using (var guard = TestSupport.NewGuard(c => { c.ErrorRetryThreshold = 1; }))
            {
                var tools = Tools();
                tools["get_shipping"] = (args, d) => { throw new TimeoutException("carrier API timed out"); };
                string response = ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "parallel");
                TurnResult turn = guard.RunTurn(ProviderFormat.OpenAIResponses, response, tools);
                var results = ProviderFixtures.Results(ProviderFormat.OpenAIResponses, turn.Messages);
                Assert.AreEqual("Error: the tool failed (TimeoutException: carrier API timed out).", results[2].Text);
                Assert.IsTrue(turn.Calls[2].IsError);
                Assert.IsTrue(turn.Calls[2].Ran);
                Assert.AreEqual(1, guard.Stats().ToolCallsFailed);
                // Classified as a timeout, which quarantines the tool at this threshold.
                Assert.AreEqual("error_retry:timeout", guard.Stats().QuarantinedTools["get_shipping"]);
            }
        }

        [Test]
        public void AToolTheHostDoesNotHaveIsAnsweredAndNeverChecked()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var tools = Tools();
                tools.Remove("search_kb");
                TurnResult turn = guard.RunTurn(ProviderFormat.OpenAIChat, ProviderFixtures.Load(ProviderFormat.OpenAIChat, "parallel"), tools);
                Assert.AreEqual("Not executed: there is no tool named search_kb. Use one of the tools you were given.",
                    ProviderFixtures.Results(ProviderFormat.OpenAIChat, turn.Messages)[1].Text);
                Assert.IsNull(turn.Calls[1].Decision);
                Assert.AreEqual(2, guard.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void ATextOnlyResponseHasNothingToAnswer()
        {
            using (var guard = TestSupport.NewGuard())
                foreach (ProviderFormat format in ProviderFixtures.Formats)
                {
                    TurnResult turn = guard.RunTurn(format, ProviderFixtures.Load(format, "text"), Tools());
                    Assert.AreEqual(0, turn.Messages.Count, format.ToString());
                    Assert.AreEqual("[]", turn.MessagesJson);
                }
        }

        [Test]
        public void ArgumentsTheGuardRefusesAreAnErrorResultAndChangeNothing()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxJsonBytes = 1024))
            {
                string big = new string('x', 2000);
                string response = ProviderReadingTests.Chat("{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"search_kb\"," +
                    "\"arguments\":\"{\\\"query\\\":\\\"" + big + "\\\"}\"}}");
                ToolCall call = ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, response)[0];
                string before = guard.SaveState();
                GuardedCall checkedCall = guard.CheckToolCall(call);
                Assert.IsFalse(checkedCall.ShouldRun);
                Assert.IsTrue(checkedCall.IsError);
                StringAssert.StartsWith("Not executed: the arguments were refused (", checkedCall.ResultText);
                StringAssert.Contains("max_json_bytes", checkedCall.ResultText);
                Assert.AreEqual(0, guard.Stats().ToolCallsDenied);
                Assert.AreEqual(before.Length, guard.SaveState().Length);
            }
        }

        [Test]
        public void AHostRunningItsOwnToolsChecksEachCallAndSetsItsResult()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var answered = new List<GuardedCall>();
                foreach (ToolCall call in ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat,
                             ProviderFixtures.Load(ProviderFormat.OpenAIChat, "repeat")))
                {
                    GuardedCall g = guard.CheckToolCall(call, "T-1");
                    if (g.ShouldRun)
                    {
                        Assert.Throws<InvalidOperationException>(() => g.ResultMessage(ProviderFormat.OpenAIChat));
                        guard.RecordResult(true, "refunded", callId: g.Decision.CallId);
                        g.SetResult("refunded");
                    }
                    answered.Add(g);
                }
                var results = ProviderFixtures.Results(ProviderFormat.OpenAIChat,
                    ProviderMessages.ToolResultMessages(ProviderFormat.OpenAIChat, answered));
                CollectionAssert.AreEqual(new[] { "refunded", "refunded" }, new[] { results[0].Text, results[1].Text });
                Assert.IsTrue(answered[0].ShouldRun);
                Assert.AreEqual(GuardAction.Cache, answered[1].Decision.Action);
            }
        }

        [Test]
        public void BadTurnArgumentsAreRefusedBeforeAnythingIsChecked()
        {
            using (var guard = TestSupport.NewGuard())
            {
                string response = ProviderFixtures.Load(ProviderFormat.OpenAIChat, "parallel");
                Assert.Throws<ArgumentOutOfRangeException>(() =>
                    guard.RunTurn(ProviderFormat.OpenAIChat, response, Tools(), new TurnOptions { MaxParallel = 0 }));
                Assert.Throws<ArgumentNullException>(() => guard.RunTurn(ProviderFormat.OpenAIChat, response, null));
                Assert.Throws<FormatException>(() => guard.RunTurn(ProviderFormat.OpenAIChat, "{}", Tools()));
                Assert.AreEqual(0, guard.Stats().ToolCallsExecuted + guard.Stats().ToolCallsDenied);
            }
        }
    }
}

using System.Collections.Generic;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>GuardConfig's mapping to configuration JSON, and the engine's verdict on it.</summary>
    [TestFixture]
    public class ConfigTests
    {
        [Test]
        public void AnUnknownKeyInRawJsonIsAConfigErrorNamingTheKey()
        {
            var ex = Assert.Throws<AuraGuardException>(
                () => Guard.FromJson("{\"secret_key\":\"k\",\"max_cals_per_tool\":3}"));
            Assert.AreEqual(GuardStatus.Config, ex.Status);
            StringAssert.Contains("max_cals_per_tool", ex.NativeMessage);
            StringAssert.Contains("max_cals_per_tool", ex.Message);
        }

        [Test]
        public void AMissingSecretKeyIsAConfigError()
        {
            var ex = Assert.Throws<AuraGuardException>(() => new Guard(new GuardConfig()));
            Assert.AreEqual(GuardStatus.Config, ex.Status);
            StringAssert.Contains("secret_key", ex.NativeMessage);
        }

        [Test]
        public void AnOutOfRangeTypedValueIsAConfigErrorNamingTheKey()
        {
            var ex = Assert.Throws<AuraGuardException>(
                () => new Guard(new GuardConfig { SecretKey = "k", ToolLoopWindow = 0 }));
            Assert.AreEqual(GuardStatus.Config, ex.Status);
            StringAssert.Contains("tool_loop_window", ex.NativeMessage);
        }

        [Test]
        public void MalformedConfigJsonIsRejected()
        {
            var ex = Assert.Throws<AuraGuardException>(() => Guard.FromJson("{\"secret_key\":"));
            Assert.AreNotEqual(GuardStatus.Ok, ex.Status);
        }

        [Test]
        public void UnsetPropertiesAreLeftOutOfTheJson()
        {
            Assert.AreEqual("{\"secret_key\":\"k\"}", new GuardConfig { SecretKey = "k" }.ToJson());
            Assert.AreEqual("{\"secret_key\":\"k\",\"max_cost_per_run\":0.5,\"cost_model\":{\"default_tool_call_cost\":0.25}}",
                new GuardConfig
                {
                    SecretKey = "k",
                    MaxCostPerRun = 0.5,
                    CostModel = new CostModelConfig { DefaultToolCallCost = 0.25 },
                }.ToJson());
        }

        [Test]
        public void MaxCallsPerToolChangesBehaviour()
        {
            using (var capped = TestSupport.NewGuard(c => c.MaxCallsPerTool = 2))
            using (var uncapped = TestSupport.NewGuard())
            {
                for (int i = 0; i < 2; i++)
                {
                    TestSupport.CheckAndRecordOk(capped, "get_order", new { order_id = i });
                    TestSupport.CheckAndRecordOk(uncapped, "get_order", new { order_id = i });
                }
                Decision third = capped.CheckTool("get_order", new { order_id = 2 });
                Assert.AreEqual(GuardAction.Rewrite, third.Action);
                Assert.AreEqual("max_calls_per_tool", third.Reason);
                Assert.AreEqual(GuardAction.Allow, uncapped.CheckTool("get_order", new { order_id = 2 }).Action);
            }
        }

        [Test]
        public void CostModelAndSideEffectToolsAreApplied()
        {
            using (var guard = TestSupport.NewGuard(c =>
            {
                c.CostModel = new CostModelConfig
                {
                    DefaultToolCallCost = 0.5,
                    ToolCostByName = new Dictionary<string, double> { { "expensive", 2.0 } },
                };
                c.SideEffectTools = new List<string> { "ship" };
            }))
            {
                TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = 1 });
                TestSupport.CheckAndRecordOk(guard, "expensive", new { q = 1 });
                Assert.AreEqual(2.5, guard.Stats().CostSpentUsd, 1e-9);

                Assert.IsNotNull(guard.CheckTool("ship", new { order_id = 1 }, "T").IdempotencyKey);
            }
        }

        [Test]
        public void APolicyDenyBlocksTheTool()
        {
            using (var guard = TestSupport.NewGuard(c => c.ToolPolicies = new Dictionary<string, ToolPolicy>
            {
                { "drop_table", new ToolPolicy { Access = ToolAccess.Deny, DenyReason = "never" } },
                { "refund", new ToolPolicy { RequireArgs = new List<string> { "order_id", "amount" } } },
            }))
            {
                Decision denied = guard.CheckTool("drop_table");
                Assert.AreEqual(GuardAction.Block, denied.Action);
                Assert.AreEqual("policy_deny:never", denied.Reason);

                Decision missing = guard.CheckTool("refund", new { order_id = "A" }, "T");
                Assert.AreEqual(GuardAction.Block, missing.Action);
                Assert.AreEqual("policy_missing_args:amount", missing.Reason);
            }
        }

        [Test]
        public void ArgIgnoreKeysMakeCallsIdentical()
        {
            using (var guard = TestSupport.NewGuard(c => c.ArgIgnoreKeys = new Dictionary<string, IList<string>>
            {
                { "get_order", new List<string> { "request_id" } },
            }))
            {
                for (int i = 0; i < 2; i++)
                    TestSupport.CheckAndRecordOk(guard, "get_order", new { order_id = "A", request_id = i });
                Assert.AreEqual(GuardAction.Cache,
                    guard.CheckTool("get_order", new { order_id = "A", request_id = 99 }).Action);
            }
        }

        [Test]
        public void OptInDetectionKeysChangeBehaviour()
        {
            using (var limited = TestSupport.NewGuard(c => c.MaxToolCallsPerRun = 1))
            {
                TestSupport.CheckAndRecordOk(limited, "get_order", new { order_id = 1 });
                Decision second = limited.CheckTool("get_order", new { order_id = 2 });
                Assert.AreEqual(GuardAction.Escalate, second.Action);
                Assert.AreEqual("tool_call_limit_exceeded", second.Reason);
                Assert.AreEqual("max_tool_calls_per_run", second.EscalationPacket.LimitKey);
                Assert.AreEqual(2.0, second.EscalationPacket.Used.Value, 1e-9);
            }
            using (var warned = TestSupport.NewGuard(c =>
            {
                c.MaxCallsPerTool = 1;
                c.WarnBeforeEnforce = new List<string> { "max_calls_per_tool" };
            }))
            {
                TestSupport.CheckAndRecordOk(warned, "get_order", new { order_id = 1 });
                Decision over = warned.CheckTool("get_order", new { order_id = 2 });
                Assert.AreEqual(GuardAction.Allow, over.Action);
                Assert.AreEqual("max_calls_per_tool", over.WarningReason);
                StringAssert.Contains("get_order", over.WarningMessage);
            }
            var e = Assert.Throws<AuraGuardException>(() =>
                new Guard(new GuardConfig { SecretKey = "k", WarnBeforeEnforce = new List<string> { "stall" } }).Dispose());
            Assert.AreEqual(GuardStatus.Config, e.Status);
            StringAssert.Contains("warn_before_enforce", e.Message);
        }

        [Test]
        public void EveryTypedPropertyIsAcceptedByTheEngine()
        {
            var config = new GuardConfig
            {
                SecretKey = "k",
                ToolLoopWindow = 12,
                RepeatToolcallThreshold = 3,
                ArgJitterSimilarityThreshold = 0.6,
                ArgJitterRepeatThreshold = 3,
                MaxCallsPerTool = 10,
                SequenceRepeatThreshold = 3,
                MaxSequenceLength = 4,
                SequenceDetectionEnabled = true,
                ErrorRetryThreshold = 2,
                QuarantineErrorCodes = new List<string> { "429", "5xx" },
                SideEffectMaxExecutedPerRun = 1,
                SideEffectTools = new List<string> { "refund" },
                NoStateChangeThreshold = 4,
                StallTextSimilarityThreshold = 0.92,
                StallPatternThreshold = 0.6,
                StallPatternStreakThreshold = 2,
                StallRewriteMaxAttempts = 1,
                MaxCostPerRun = 5.0,
                CostWarningThreshold = 0.8,
                QueryArgKeysByTool = new Dictionary<string, IList<string>> { { "search_kb", new List<string> { "query" } } },
                CostModel = new CostModelConfig
                {
                    DefaultToolCallCost = 0.04,
                    ToolCostByName = new Dictionary<string, double>(),
                    InputTokenCostPer1k = 0.003,
                    OutputTokenCostPer1k = 0.015,
                },
                NeverCacheTools = new List<string> { "now" },
                CacheTtlSeconds = 60,
                ArgIgnoreKeys = new Dictionary<string, IList<string>>(),
                MaxCacheEntries = 1000,
                MaxUniqueCallsTracked = 5000,
                MaxCostEvents = 500,
                ToolPolicies = new Dictionary<string, ToolPolicy>
                {
                    { "x", new ToolPolicy { Access = ToolAccess.Allow, MaxCalls = 2, Risk = "low", RequireArgs = new List<string>(), DenyReason = "r" } },
                },
                MaxPendingCalls = 2,
                ShadowMode = false,
                StrictMode = true,
                MaxJsonBytes = 1048576,
                MaxTextBytes = 262144,
                MaxInterventionLog = 1000,
                MaxLedgerEntries = 100000,
                MaxToolsTracked = 10000,
                SameResultThreshold = 3,
                PollTools = new List<string> { "get_job_status" },
                QuarantineCooldownS = 30,
                QuarantineCooldownCalls = 5,
                WarnBeforeEnforce = GuardConfig.WarnableDetectors,
                SequenceGapTolerance = 1,
                MaxModelCalls = 10,
                MaxTokensPerRun = 10000,
                MaxToolCallsPerRun = 20,
                MaxRunSeconds = 60,
                MultilingualText = true,
                StallPhrases = new Dictionary<string, IList<string>> { { "apology", new List<string> { "mea culpa" } } },
            };
            using (var guard = new Guard(config))
            {
                Assert.AreEqual(5.0, guard.Stats().CostLimitUsd.Value, 1e-9);
            }
        }
    }
}

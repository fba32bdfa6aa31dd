using System;
using System.Collections.Generic;

namespace AuraGuard
{
    /// <summary>
    /// The guard's configuration, one property per configuration key. A property
    /// left null is left out of the JSON, so the engine's default applies. The engine
    /// validates everything; a bad value fails <c>new Guard(config)</c> with
    /// <see cref="GuardStatus.Config"/> and a message naming the key.
    /// </summary>
    public sealed class GuardConfig
    {
        /// <summary>The HMAC key; required unless <see cref="ShadowMode"/> is true.</summary>
        public string SecretKey { get; set; }

        public int? ToolLoopWindow { get; set; }
        public int? RepeatToolcallThreshold { get; set; }
        public double? ArgJitterSimilarityThreshold { get; set; }
        public int? ArgJitterRepeatThreshold { get; set; }

        /// <summary>A cap on allowed calls per tool (default: no cap).</summary>
        public int? MaxCallsPerTool { get; set; }

        public int? SequenceRepeatThreshold { get; set; }
        public int? MaxSequenceLength { get; set; }
        public bool? SequenceDetectionEnabled { get; set; }
        public int? ErrorRetryThreshold { get; set; }
        public IList<string> QuarantineErrorCodes { get; set; }
        public int? SideEffectMaxExecutedPerRun { get; set; }
        public IList<string> SideEffectTools { get; set; }
        public int? NoStateChangeThreshold { get; set; }
        public double? StallTextSimilarityThreshold { get; set; }
        public double? StallPatternThreshold { get; set; }
        public int? StallPatternStreakThreshold { get; set; }
        public int? StallRewriteMaxAttempts { get; set; }

        /// <summary>The run's budget in USD (default: none).</summary>
        public double? MaxCostPerRun { get; set; }

        public double? CostWarningThreshold { get; set; }
        public IDictionary<string, IList<string>> QueryArgKeysByTool { get; set; }
        public CostModelConfig CostModel { get; set; }
        public IList<string> NeverCacheTools { get; set; }

        /// <summary>How long cached results live (default: the whole run).</summary>
        public double? CacheTtlSeconds { get; set; }

        public IDictionary<string, IList<string>> ArgIgnoreKeys { get; set; }
        public int? MaxCacheEntries { get; set; }
        public int? MaxUniqueCallsTracked { get; set; }
        public int? MaxCostEvents { get; set; }
        public IDictionary<string, ToolPolicy> ToolPolicies { get; set; }
        public int? MaxPendingCalls { get; set; }
        public bool? ShadowMode { get; set; }
        public bool? StrictMode { get; set; }
        public long? MaxJsonBytes { get; set; }
        public long? MaxTextBytes { get; set; }
        public int? MaxInterventionLog { get; set; }
        public int? MaxLedgerEntries { get; set; }
        public int? MaxToolsTracked { get; set; }

        /// <summary>The run's id, so a restarted process resumes its run (default: random).</summary>
        public string RunId { get; set; }

        /// <summary>Where the idempotency ledger lives (default: this guard's memory).</summary>
        public LedgerStore Ledger { get; set; }

        public long? LedgerLeaseMs { get; set; }
        public long? LedgerTtlS { get; set; }

        /// <summary>"fail_closed" (the default) or "fail_open" (see <see cref="LedgerOnError"/>).</summary>
        public string LedgerOnError { get; set; }

        public bool? LedgerStorePayload { get; set; }

        // Opt-in detection beyond the package (docs/DETECTION.md); null keeps each off.

        /// <summary>Calls of one tool, with different arguments, returning one result that make a loop.</summary>
        public int? SameResultThreshold { get; set; }
        /// <summary>Tools whose identical repeats count only while their result is unchanged.</summary>
        public IList<string> PollTools { get; set; }
        public double? QuarantineCooldownS { get; set; }
        public long? QuarantineCooldownCalls { get; set; }
        /// <summary>Detectors (by reason code, see <see cref="WarnableDetectors"/>) that warn once before they enforce.</summary>
        public IList<string> WarnBeforeEnforce { get; set; }
        public int? SequenceGapTolerance { get; set; }
        public long? MaxModelCalls { get; set; }
        public long? MaxTokensPerRun { get; set; }
        public long? MaxToolCallsPerRun { get; set; }
        public double? MaxRunSeconds { get; set; }
        public bool? MultilingualText { get; set; }
        /// <summary>Stall phrases to add, by part of the score: "apology", "still_working", "nuisance".</summary>
        public IDictionary<string, IList<string>> StallPhrases { get; set; }

        /// <summary>The reason codes <see cref="WarnBeforeEnforce"/> accepts.</summary>
        public static readonly IList<string> WarnableDetectors = new List<string>
        {
            "identical_toolcall_loop", "arg_jitter_loop", "same_result_loop", "sequence_loop", "max_calls_per_tool",
        }.AsReadOnly();

        /// <summary>
        /// How many threads or concurrent tasks may run tools through the guard at once
        /// (Run, RunAsync, or CheckTool/RecordResult pairs). Raises
        /// <see cref="MaxPendingCalls"/> to at least this, so that no allowed call is pushed
        /// out before its result is recorded; Run refuses with
        /// <see cref="GuardBusyException"/> beyond it. Null: <see cref="MaxPendingCalls"/>
        /// (1 by default). Not an engine key.
        /// </summary>
        public int? Concurrency { get; set; }

        /// <summary>max_pending_calls as sent to the engine (null: the engine's default, 1),
        /// raised to <see cref="Concurrency"/>.</summary>
        internal int? PendingCalls()
        {
            if (!Concurrency.HasValue) return MaxPendingCalls;
            if (Concurrency.Value < 1)
                throw new AuraGuardException(GuardStatus.Config, "Concurrency must be at least 1, got " + Concurrency.Value);
            return Math.Max(MaxPendingCalls ?? 1, Concurrency.Value);
        }

        /// <summary>The configuration JSON given to the engine.</summary>
        public string ToJson()
        {
            var o = new JsonObjectBuilder();
            o.Add("secret_key", SecretKey);
            o.Add("tool_loop_window", ToolLoopWindow);
            o.Add("repeat_toolcall_threshold", RepeatToolcallThreshold);
            o.Add("arg_jitter_similarity_threshold", ArgJitterSimilarityThreshold);
            o.Add("arg_jitter_repeat_threshold", ArgJitterRepeatThreshold);
            o.Add("max_calls_per_tool", MaxCallsPerTool);
            o.Add("sequence_repeat_threshold", SequenceRepeatThreshold);
            o.Add("max_sequence_length", MaxSequenceLength);
            o.Add("sequence_detection_enabled", SequenceDetectionEnabled);
            o.Add("error_retry_threshold", ErrorRetryThreshold);
            o.Add("quarantine_error_codes", QuarantineErrorCodes);
            o.Add("side_effect_max_executed_per_run", SideEffectMaxExecutedPerRun);
            o.Add("side_effect_tools", SideEffectTools);
            o.Add("no_state_change_threshold", NoStateChangeThreshold);
            o.Add("stall_text_similarity_threshold", StallTextSimilarityThreshold);
            o.Add("stall_pattern_threshold", StallPatternThreshold);
            o.Add("stall_pattern_streak_threshold", StallPatternStreakThreshold);
            o.Add("stall_rewrite_max_attempts", StallRewriteMaxAttempts);
            o.Add("max_cost_per_run", MaxCostPerRun);
            o.Add("cost_warning_threshold", CostWarningThreshold);
            o.Add("query_arg_keys_by_tool", QueryArgKeysByTool);
            o.Add("cost_model", CostModel == null ? null : CostModel.ToDictionary());
            o.Add("never_cache_tools", NeverCacheTools);
            o.Add("cache_ttl_seconds", CacheTtlSeconds);
            o.Add("arg_ignore_keys", ArgIgnoreKeys);
            o.Add("max_cache_entries", MaxCacheEntries);
            o.Add("max_unique_calls_tracked", MaxUniqueCallsTracked);
            o.Add("max_cost_events", MaxCostEvents);
            if (ToolPolicies != null)
            {
                var policies = new Dictionary<string, object>();
                foreach (var pair in ToolPolicies)
                    policies[pair.Key] = pair.Value == null ? null : pair.Value.ToDictionary();
                o.Add("tool_policies", policies);
            }
            o.Add("max_pending_calls", PendingCalls());
            o.Add("shadow_mode", ShadowMode);
            o.Add("strict_mode", StrictMode);
            o.Add("max_json_bytes", MaxJsonBytes);
            o.Add("max_text_bytes", MaxTextBytes);
            o.Add("max_intervention_log", MaxInterventionLog);
            o.Add("max_ledger_entries", MaxLedgerEntries);
            o.Add("max_tools_tracked", MaxToolsTracked);
            o.Add("run_id", RunId);
            o.Add("ledger", Ledger == null ? null : Ledger.ToDictionary());
            o.Add("ledger_lease_ms", LedgerLeaseMs);
            o.Add("ledger_ttl_s", LedgerTtlS);
            o.Add("ledger_on_error", LedgerOnError);
            o.Add("ledger_store_payload", LedgerStorePayload);
            o.Add("same_result_threshold", SameResultThreshold);
            o.Add("poll_tools", PollTools);
            o.Add("quarantine_cooldown_s", QuarantineCooldownS);
            o.Add("quarantine_cooldown_calls", QuarantineCooldownCalls);
            o.Add("warn_before_enforce", WarnBeforeEnforce);
            o.Add("sequence_gap_tolerance", SequenceGapTolerance);
            o.Add("max_model_calls", MaxModelCalls);
            o.Add("max_tokens_per_run", MaxTokensPerRun);
            o.Add("max_tool_calls_per_run", MaxToolCallsPerRun);
            o.Add("max_run_seconds", MaxRunSeconds);
            o.Add("multilingual_text", MultilingualText);
            o.Add("stall_phrases", StallPhrases);
            return o.ToJson();
        }
    }

    /// <summary>The <c>cost_model</c> key: what tool calls and tokens cost, in USD.</summary>
    public sealed class CostModelConfig
    {
        public double? DefaultToolCallCost { get; set; }
        public IDictionary<string, double> ToolCostByName { get; set; }
        public double? InputTokenCostPer1k { get; set; }
        public double? OutputTokenCostPer1k { get; set; }

        internal IDictionary<string, object> ToDictionary()
        {
            var o = new JsonObjectBuilder();
            o.Add("default_tool_call_cost", DefaultToolCallCost);
            o.Add("tool_cost_by_name", ToolCostByName);
            o.Add("input_token_cost_per_1k", InputTokenCostPer1k);
            o.Add("output_token_cost_per_1k", OutputTokenCostPer1k);
            return o.Members;
        }
    }

    /// <summary>One entry of the <c>tool_policies</c> key.</summary>
    public sealed class ToolPolicy
    {
        /// <summary>"allow", "deny" or "human" (see <see cref="ToolAccess"/>).</summary>
        public string Access { get; set; }

        public int? MaxCalls { get; set; }
        public string Risk { get; set; }
        public IList<string> RequireArgs { get; set; }
        public string DenyReason { get; set; }

        /// <summary>The lease of this tool's side-effect reservations, in ms.</summary>
        public long? LeaseMs { get; set; }

        internal IDictionary<string, object> ToDictionary()
        {
            var o = new JsonObjectBuilder();
            o.Add("access", Access);
            o.Add("max_calls", MaxCalls);
            o.Add("risk", Risk);
            o.Add("require_args", RequireArgs);
            o.Add("deny_reason", DenyReason);
            o.Add("lease_ms", LeaseMs);
            return o.Members;
        }
    }

    /// <summary>The values of <see cref="ToolPolicy.Access"/>.</summary>
    public static class ToolAccess
    {
        public const string Allow = "allow";
        public const string Deny = "deny";
        public const string Human = "human";
    }

    /// <summary>An ordered JSON object that leaves out null members.</summary>
    internal sealed class JsonObjectBuilder
    {
        private readonly List<KeyValuePair<string, object>> _members = new List<KeyValuePair<string, object>>();

        public void Add(string key, object value)
        {
            if (value != null) _members.Add(new KeyValuePair<string, object>(key, value));
        }

        public IDictionary<string, object> Members
        {
            get
            {
                var d = new Dictionary<string, object>();
                foreach (var m in _members) d[m.Key] = m.Value;
                return d;
            }
        }

        public string ToJson()
        {
            return JsonWriter.ToJson(_members);
        }
    }
}

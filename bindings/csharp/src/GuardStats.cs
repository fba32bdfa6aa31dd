using System.Collections.Generic;

namespace AuraGuard
{
    /// <summary>The run's counters, as returned by <see cref="Guard.Stats"/>.</summary>
    public sealed class GuardStats
    {
        private GuardStats(string json, JsonObject o)
        {
            Json = json;
            RunId = JsonFields.String(o, "run_id");
            ToolCallsExecuted = JsonFields.Long(o, "tool_calls_executed");
            ToolCallsFailed = JsonFields.Long(o, "tool_calls_failed");
            ToolCallsCached = JsonFields.Long(o, "tool_calls_cached");
            ToolCallsDenied = JsonFields.Long(o, "tool_calls_denied");
            Blocks = JsonFields.Long(o, "blocks");
            CacheHits = JsonFields.Long(o, "cache_hits");
            RewriteDecisions = JsonFields.Long(o, "rewrite_decisions");
            Escalations = JsonFields.Long(o, "escalations");
            CostSpentUsd = JsonFields.Double(o, "cost_spent_usd");
            ReportedTokenCostUsd = JsonFields.Double(o, "reported_token_cost_usd");
            CostLimitUsd = JsonFields.NullableDouble(o, "cost_limit_usd");
            CostRemainingUsd = JsonFields.NullableDouble(o, "cost_remaining_usd");
            QuarantinedTools = JsonFields.StringMap(o, "quarantined_tools");
            UniqueToolCalls = JsonFields.Long(o, "unique_tool_calls");
            StallStreak = JsonFields.Long(o, "stall_streak");
            ShadowMode = JsonFields.Bool(o, "shadow_mode");
            ShadowWouldDeny = JsonFields.Long(o, "shadow_would_deny");
            MissedResults = JsonFields.Long(o, "missed_results");
            PendingCalls = JsonFields.Long(o, "pending_calls");
            InterventionsCount = JsonFields.Long(o, "interventions_count");
            LedgerErrors = JsonFields.Long(o, "ledger_errors");
            PayloadsNotKept = JsonFields.Long(o, "payloads_not_kept");
        }

        /// <exception cref="System.FormatException">The text is not a JSON object.</exception>
        public static GuardStats Parse(string json)
        {
            var o = JsonReader.Parse(json) as JsonObject;
            if (o == null) throw new System.FormatException("stats must be a JSON object: " + json);
            return new GuardStats(json, o);
        }

        public string RunId { get; private set; }
        public long ToolCallsExecuted { get; private set; }
        public long ToolCallsFailed { get; private set; }
        public long ToolCallsCached { get; private set; }
        public long ToolCallsDenied { get; private set; }
        public long Blocks { get; private set; }
        public long CacheHits { get; private set; }
        public long RewriteDecisions { get; private set; }
        public long Escalations { get; private set; }
        public double CostSpentUsd { get; private set; }
        public double ReportedTokenCostUsd { get; private set; }

        /// <summary>The budget (max_cost_per_run), or null when there is none.</summary>
        public double? CostLimitUsd { get; private set; }

        /// <summary>What is left of the budget, or null when there is none.</summary>
        public double? CostRemainingUsd { get; private set; }

        /// <summary>Quarantined tools and why each was quarantined.</summary>
        public IDictionary<string, string> QuarantinedTools { get; private set; }

        public long UniqueToolCalls { get; private set; }
        public long StallStreak { get; private set; }
        public bool ShadowMode { get; private set; }
        public long ShadowWouldDeny { get; private set; }

        /// <summary>Allowed calls whose result was never recorded (non-strict mode).</summary>
        public long MissedResults { get; private set; }

        /// <summary>Allowed calls now awaiting their result.</summary>
        public long PendingCalls { get; private set; }

        public long InterventionsCount { get; private set; }

        /// <summary>Ledger store operations that failed (see <c>ledger_on_error</c>).</summary>
        public long LedgerErrors { get; private set; }

        /// <summary>Results booked without their payload (too large, too deep, or a number
        /// beyond a double); replays of them have <see cref="CachedResult.PayloadKept"/> false.</summary>
        public long PayloadsNotKept { get; private set; }

        /// <summary>The stats as the engine wrote them (including fields added later).</summary>
        public string Json { get; private set; }

        public override string ToString()
        {
            return Json;
        }
    }
}

using System.Collections.Generic;

namespace AuraGuard
{
    /// <summary>What a human needs to take over: route, tags, summary and the numbers behind it.</summary>
    public sealed class EscalationPacket
    {
        internal EscalationPacket(JsonObject o)
        {
            object route;
            o.TryGetValue("route", out route);
            Route = route as string;
            RouteJson = o.RawText("route") ?? "null";
            Tags = JsonFields.StringList(o, "tags");
            Summary = JsonFields.String(o, "summary");
            Tool = JsonFields.String(o, "tool");
            ArgsSig = JsonFields.String(o, "args_sig");
            Risk = JsonFields.String(o, "risk");
            CumulativeCost = JsonFields.NullableDouble(o, "cumulative_cost");
            ProjectedCost = JsonFields.NullableDouble(o, "projected_cost");
            Limit = JsonFields.NullableDouble(o, "limit");
            MissingInfo = JsonFields.List(o, "missing_info");
            Reason = JsonFields.String(o, "reason");
            LimitKey = JsonFields.String(o, "limit_key");
            Used = JsonFields.NullableDouble(o, "used");
        }

        /// <summary>The run limit reached (e.g. "max_tool_calls_per_run"), for run-limit escalations.</summary>
        public string LimitKey { get; private set; }

        /// <summary>How much of that limit the run used (calls, tokens or seconds).</summary>
        public double? Used { get; private set; }

        /// <summary>The route when it is a string (e.g. "human_approval"), else null.</summary>
        public string Route { get; private set; }

        /// <summary>The route as JSON text; a model-chosen route may be any JSON value.</summary>
        public string RouteJson { get; private set; }

        /// <summary>Tags such as "budget_exceeded" (non-string tags as JSON text).</summary>
        public IList<string> Tags { get; private set; }

        public string Summary { get; private set; }

        /// <summary>The tool, for policy escalations.</summary>
        public string Tool { get; private set; }

        /// <summary>The arguments' signature (hex), never the arguments.</summary>
        public string ArgsSig { get; private set; }

        public string Risk { get; private set; }

        /// <summary>USD spent so far, for budget escalations.</summary>
        public double? CumulativeCost { get; private set; }

        /// <summary>USD spent if this call ran, for budget escalations.</summary>
        public double? ProjectedCost { get; private set; }

        /// <summary>The budget, for budget escalations.</summary>
        public double? Limit { get; private set; }

        /// <summary>What the model said it still needs (plain JSON values).</summary>
        public IList<object> MissingInfo { get; private set; }

        public string Reason { get; private set; }
    }
}

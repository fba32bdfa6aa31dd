using System;

namespace AuraGuard
{
    /// <summary>
    /// One event from the guard: an intervention or a cost. Events carry counts,
    /// costs, reasons and signatures only, never raw arguments, payloads or text.
    /// </summary>
    public sealed class GuardEventArgs : EventArgs
    {
        private GuardEventArgs(string json, JsonObject o)
        {
            Json = json;
            EventType = JsonFields.String(o, "event");
            RunId = JsonFields.String(o, "run_id");
            Tool = JsonFields.String(o, "tool");
            Action = JsonFields.String(o, "action");
            Reason = JsonFields.String(o, "reason");
            ArgsSig = JsonFields.String(o, "args_sig");
            CostKind = JsonFields.String(o, "kind");
            AmountUsd = JsonFields.NullableDouble(o, "amount_usd");
            SpentUsd = JsonFields.NullableDouble(o, "spent_usd");
        }

        internal static GuardEventArgs Parse(string json)
        {
            JsonObject o;
            try
            {
                o = JsonReader.Parse(json) as JsonObject;
            }
            catch (FormatException)
            {
                o = null;
            }
            return new GuardEventArgs(json, o ?? new JsonObject(json));
        }

        /// <summary>"intervention" or "cost".</summary>
        public string EventType { get; private set; }

        public string RunId { get; private set; }

        /// <summary>The tool concerned, or null.</summary>
        public string Tool { get; private set; }

        /// <summary>Interventions: the action taken, e.g. "block".</summary>
        public string Action { get; private set; }

        /// <summary>Interventions: the reason code.</summary>
        public string Reason { get; private set; }

        /// <summary>Interventions: the arguments' signature (hex), or null.</summary>
        public string ArgsSig { get; private set; }

        /// <summary>Cost events: "tool_call", "tokens", "budget_warning" or "budget_exceeded".</summary>
        public string CostKind { get; private set; }

        /// <summary>Cost events: this event's amount.</summary>
        public double? AmountUsd { get; private set; }

        /// <summary>Cost events: the run's spending after it.</summary>
        public double? SpentUsd { get; private set; }

        /// <summary>The event as the engine wrote it.</summary>
        public string Json { get; private set; }
    }
}

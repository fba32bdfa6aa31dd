namespace AuraGuard
{
    /// <summary>The guard's answer to a tool call or an assistant message.</summary>
    public sealed class Decision
    {
        private Decision(string json, JsonObject o)
        {
            _json = json;
            ActionName = JsonFields.String(o, "action") ?? "";
            Action = ParseAction(ActionName);
            Reason = JsonFields.String(o, "reason") ?? "";
            InjectedSystem = JsonFields.String(o, "injected_system");
            CallId = JsonFields.NullableULong(o, "call_id");
            IdempotencyKey = JsonFields.String(o, "idempotency_key");
            LeaseMs = JsonFields.NullableULong(o, "lease_ms");
            RetryAfterMs = JsonFields.NullableULong(o, "retry_after_ms");

            var cached = JsonFields.Object(o, "cached_result");
            if (cached != null) CachedResult = new CachedResult(cached);
            var packet = JsonFields.Object(o, "escalation_packet");
            if (packet != null) EscalationPacket = new EscalationPacket(packet);
            var finalized = JsonFields.Object(o, "finalized_output");
            if (finalized != null) FinalizedOutput = new FinalizedOutput(finalized);
            var warning = JsonFields.Object(o, "warning");
            if (warning != null)
            {
                WarningReason = JsonFields.String(warning, "reason");
                WarningMessage = JsonFields.String(warning, "message");
            }
        }

        /// <summary>A decision read from the fields the library filled in (no JSON).</summary>
        internal Decision(GuardAction action, string reason, ulong? callId, string idempotencyKey, ulong? leaseMs,
            ulong? retryAfterMs)
        {
            Action = action;
            ActionName = NameOf(action);
            Reason = reason;
            CallId = callId;
            IdempotencyKey = idempotencyKey;
            LeaseMs = leaseMs;
            RetryAfterMs = retryAfterMs;
        }

        /// <summary>A cache decision with nothing but its reason and cached result, as the
        /// library's accessors gave them; its JSON is written when first asked for.</summary>
        internal Decision(string reason, CachedResult cached)
        {
            Action = GuardAction.Cache;
            ActionName = "cache";
            Reason = reason;
            CachedResult = cached;
        }

        /// <summary>Reads a decision from the engine's JSON.</summary>
        /// <exception cref="System.FormatException">The text is not a JSON object.</exception>
        public static Decision Parse(string json)
        {
            var o = JsonReader.Parse(json) as JsonObject;
            if (o == null) throw new System.FormatException("a decision must be a JSON object: " + json);
            return new Decision(json, o);
        }

        /// <summary>What to do.</summary>
        public GuardAction Action { get; private set; }

        /// <summary>The action as the engine spelled it, e.g. "allow".</summary>
        public string ActionName { get; private set; }

        /// <summary>Why, e.g. "idempotent_replay" or "shadow_allow".</summary>
        public string Reason { get; private set; }

        /// <summary>On rewrite: the system message to give the model.</summary>
        public string InjectedSystem { get; private set; }

        /// <summary>On cache: the earlier result.</summary>
        public CachedResult CachedResult { get; private set; }

        /// <summary>On escalate: what the human needs.</summary>
        public EscalationPacket EscalationPacket { get; private set; }

        /// <summary>On finalize: the reply to send.</summary>
        public FinalizedOutput FinalizedOutput { get; private set; }

        /// <summary>On allow: the id to pass back to <see cref="Guard.RecordResult"/>.</summary>
        public ulong? CallId { get; private set; }

        /// <summary>On an allowed side effect: a key (32 hex chars) to give the downstream API.</summary>
        public string IdempotencyKey { get; private set; }

        /// <summary>On an allowed side-effect call that reserved its key: how long (ms) the
        /// reservation holds before its outcome counts as unknown.</summary>
        public ulong? LeaseMs { get; private set; }

        /// <summary>On a <c>side_effect_in_flight</c> block: when (ms) the holder's lease ends.</summary>
        public ulong? RetryAfterMs { get; private set; }

        /// <summary>Set on an allowed call that a detector warns about before it enforces
        /// (<see cref="GuardConfig.WarnBeforeEnforce"/>): the detector's reason code.</summary>
        public string WarningReason { get; private set; }

        /// <summary>With <see cref="WarningReason"/>: the text to show the model.</summary>
        public string WarningMessage { get; private set; }

        private string _json;

        /// <summary>The decision as the engine wrote it (for a decision that came without
        /// JSON, the same text, written when first asked for).</summary>
        public string Json
        {
            get { return _json ?? (_json = WriteJson()); }
        }

        /// <summary>The engine's JSON of a decision that came as fields (no rare fields but a
        /// cache decision's cached result): its fields in the engine's order.</summary>
        private string WriteJson()
        {
            if (CachedResult != null) return EngineJson.CacheDecision(Reason, CachedResult);
            var sb = new System.Text.StringBuilder(96);
            sb.Append("{\"action\":");
            EngineJson.AppendString(sb, ActionName);
            sb.Append(",\"reason\":");
            EngineJson.AppendString(sb, Reason);
            if (CallId.HasValue) sb.Append(",\"call_id\":").Append(CallId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (IdempotencyKey != null)
            {
                sb.Append(",\"idempotency_key\":");
                EngineJson.AppendString(sb, IdempotencyKey);
            }
            if (LeaseMs.HasValue) sb.Append(",\"lease_ms\":").Append(LeaseMs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (RetryAfterMs.HasValue) sb.Append(",\"retry_after_ms\":").Append(RetryAfterMs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return sb.Append('}').ToString();
        }

        private static string NameOf(GuardAction action)
        {
            switch (action)
            {
                case GuardAction.Allow: return "allow";
                case GuardAction.Block: return "block";
                case GuardAction.Cache: return "cache";
                case GuardAction.Rewrite: return "rewrite";
                case GuardAction.Escalate: return "escalate";
                case GuardAction.Finalize: return "finalize";
                default: return "";
            }
        }

        /// <summary>True when the tool may run.</summary>
        public bool IsAllowed
        {
            get { return Action == GuardAction.Allow; }
        }

        public override string ToString()
        {
            return Json;
        }

        private static GuardAction ParseAction(string name)
        {
            switch (name)
            {
                case "allow": return GuardAction.Allow;
                case "block": return GuardAction.Block;
                case "cache": return GuardAction.Cache;
                case "rewrite": return GuardAction.Rewrite;
                case "escalate": return GuardAction.Escalate;
                case "finalize": return GuardAction.Finalize;
                default: return GuardAction.Unknown;
            }
        }
    }
}

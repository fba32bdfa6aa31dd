namespace AuraGuard
{
    /// <summary>An earlier result the guard hands back instead of running the tool again.</summary>
    public sealed class CachedResult
    {
        internal CachedResult(JsonObject o)
        {
            Ok = JsonFields.Bool(o, "ok");
            PayloadJson = o.RawText("payload") ?? "null";
            Payload = o.ContainsKey("payload") ? o["payload"] : null;
            ErrorCode = JsonFields.String(o, "error_code");
            Cached = JsonFields.Bool(o, "cached");
            SideEffectExecuted = JsonFields.Bool(o, "side_effect_executed");
        }

        /// <summary>Whether the original call succeeded.</summary>
        public bool Ok { get; private set; }

        /// <summary>The recorded payload as JSON text, exactly as the engine returned it ("null" when none).</summary>
        public string PayloadJson { get; private set; }

        /// <summary>The payload read into plain values (see <see cref="JsonReader"/>).</summary>
        public object Payload { get; private set; }

        /// <summary>The original call's error code, or null.</summary>
        public string ErrorCode { get; private set; }

        /// <summary>Always true: this result comes from the guard, not the tool.</summary>
        public bool Cached { get; private set; }

        /// <summary>Whether the original call's side effect happened.</summary>
        public bool SideEffectExecuted { get; private set; }
    }
}

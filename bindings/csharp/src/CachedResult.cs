namespace AuraGuard
{
    /// <summary>An earlier result the guard hands back instead of running the tool again.</summary>
    public sealed class CachedResult
    {
        internal CachedResult(JsonObject o)
        {
            Ok = JsonFields.Bool(o, "ok");
            PayloadJson = o.RawText("payload") ?? "null";
            _payload = o.ContainsKey("payload") ? o["payload"] : null;
            ErrorCode = JsonFields.String(o, "error_code");
            Cached = JsonFields.Bool(o, "cached");
            SideEffectExecuted = JsonFields.Bool(o, "side_effect_executed");
            // Absent from the engine's JSON when true.
            PayloadKept = !o.ContainsKey("payload_kept") || JsonFields.Bool(o, "payload_kept");
        }

        /// <summary>A cached result from the fields the library filled in; the payload is
        /// read into values when first asked for.</summary>
        internal CachedResult(bool ok, string payloadJson, string errorCode, bool cached, bool sideEffectExecuted,
            bool payloadKept)
        {
            PayloadKept = payloadKept;
            Ok = ok;
            PayloadJson = payloadJson;
            _payloadRead = false;
            ErrorCode = errorCode;
            Cached = cached;
            SideEffectExecuted = sideEffectExecuted;
        }

        private object _payload;
        private bool _payloadRead = true;

        /// <summary>Whether the original call succeeded.</summary>
        public bool Ok { get; private set; }

        /// <summary>The recorded payload as JSON text, exactly as the engine returned it ("null" when none).</summary>
        public string PayloadJson { get; private set; }

        /// <summary>The payload read into plain values (see <see cref="JsonReader"/>).</summary>
        public object Payload
        {
            get
            {
                if (!_payloadRead)
                {
                    _payload = JsonReader.Parse(PayloadJson);
                    _payloadRead = true;
                }
                return _payload;
            }
        }

        /// <summary>The original call's error code, or null.</summary>
        public string ErrorCode { get; private set; }

        /// <summary>Always true: this result comes from the guard, not the tool.</summary>
        public bool Cached { get; private set; }

        /// <summary>Whether the original call's side effect happened.</summary>
        public bool SideEffectExecuted { get; private set; }

        /// <summary>False when the result was booked without its payload (too large, too deep, or a
        /// number beyond a double): <see cref="PayloadJson"/> is then "null".</summary>
        public bool PayloadKept { get; private set; }
    }
}

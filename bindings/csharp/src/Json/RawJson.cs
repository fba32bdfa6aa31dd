using System;

namespace AuraGuard
{
    /// <summary>
    /// JSON text that the binding passes to the engine as it is, for hosts that
    /// already hold their tool arguments or results as JSON. The engine checks it;
    /// malformed text fails there with <see cref="GuardStatus.InvalidArgument"/>.
    /// </summary>
    public sealed class RawJson
    {
        public RawJson(string json)
        {
            if (json == null) throw new ArgumentNullException("json");
            Json = json;
        }

        /// <summary>The JSON text.</summary>
        public string Json { get; private set; }

        public override string ToString()
        {
            return Json;
        }
    }
}

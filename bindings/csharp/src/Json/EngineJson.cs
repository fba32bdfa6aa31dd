using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// Text written the way the engine writes its decisions (serde_json): a decision
    /// that came as fields, not JSON, gets <see cref="Decision.Json"/> from here, and
    /// it must be the text the engine would have sent.
    /// </summary>
    internal static class EngineJson
    {
        /// <summary>Appends <paramref name="s"/> quoted as serde_json writes it (U+2028
        /// and U+2029 as they are).</summary>
        internal static void AppendString(StringBuilder sb, string s)
        {
            JsonWriter.WriteString(sb, s, false);
        }

        /// <summary>The JSON of a cache decision with nothing but its cached result (every
        /// cache decision the engine makes), field for field as the engine writes it.</summary>
        internal static string CacheDecision(string reason, CachedResult cached)
        {
            var sb = new StringBuilder(128 + cached.PayloadJson.Length);
            sb.Append("{\"action\":\"cache\",\"reason\":");
            AppendString(sb, reason);
            sb.Append(",\"cached_result\":{\"ok\":").Append(cached.Ok ? "true" : "false");
            sb.Append(",\"payload\":").Append(cached.PayloadJson);
            sb.Append(",\"error_code\":");
            if (cached.ErrorCode == null) sb.Append("null");
            else AppendString(sb, cached.ErrorCode);
            sb.Append(cached.Cached ? ",\"cached\":true" : ",\"cached\":false");
            sb.Append(cached.SideEffectExecuted ? ",\"side_effect_executed\":true" : ",\"side_effect_executed\":false");
            // Only written when false (the engine skips the default).
            if (!cached.PayloadKept) sb.Append(",\"payload_kept\":false");
            return sb.Append("}}").ToString();
        }
    }
}

using System.Globalization;
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
        /// <summary>Appends <paramref name="s"/> quoted: <c>"</c> and <c>\</c> escaped, the
        /// control characters as \n, \r, \t, \b, \f or \u00XX (lowercase hex), everything
        /// else as it is (unlike <see cref="JsonWriter"/>, which also escapes U+2028/U+2029).</summary>
        internal static void AppendString(StringBuilder sb, string s)
        {
            sb.Append('"');
            int start = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c >= 0x20 && c != '"' && c != '\\') continue;
                sb.Append(s, start, i - start);
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default: sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                }
                start = i + 1;
            }
            sb.Append(s, start, s.Length - start).Append('"');
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

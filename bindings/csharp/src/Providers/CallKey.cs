using System;
using System.Collections.Generic;
using System.Text;

namespace AuraGuard.Providers
{
    /// <summary>A call's tool and arguments with object keys sorted, so that two copies of
    /// one call are recognised whatever order the model wrote the keys in.</summary>
    internal static class CallKey
    {
        public static string Of(ToolCall call)
        {
            var sb = new StringBuilder(call.Name).Append('\n');
            if (call.Arguments == null) return sb.Append(call.ArgumentsJson).ToString();
            Write(sb, call.Arguments);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, object value)
        {
            var o = value as JsonObject;
            var list = value as List<object>;
            if (o != null)
            {
                var keys = new List<string>(o.Keys);
                keys.Sort(StringComparer.Ordinal);
                sb.Append('{');
                for (int i = 0; i < keys.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    JsonWriter.WriteString(sb, keys[i]);
                    sb.Append(':');
                    Write(sb, o[keys[i]]);
                }
                sb.Append('}');
            }
            else if (list != null)
            {
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, list[i]);
                }
                sb.Append(']');
            }
            else
            {
                sb.Append(JsonWriter.ToJson(value));
            }
        }
    }
}

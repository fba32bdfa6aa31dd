using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// Writes .NET values as JSON for the engine: dictionaries and other objects
    /// become JSON objects, lists and arrays become arrays, numbers are written
    /// culture-invariant, and <see cref="RawJson"/> is copied verbatim. It exists so
    /// the binding needs nothing beyond the base class library.
    /// </summary>
    public static class JsonWriter
    {
        // Deeper nesting than this is almost certainly a reference cycle.
        private const int MaxDepth = 128;

        /// <summary>The JSON text of <paramref name="value"/>.</summary>
        /// <exception cref="ArgumentException">The value cannot be written as JSON
        /// (a NaN or infinite number, nesting deeper than 128 levels, a cycle).</exception>
        public static string ToJson(object value)
        {
            // One builder per thread, reused: taken out of its slot while in use, so a
            // getter that writes JSON itself gets a builder of its own.
            StringBuilder sb = _builder ?? new StringBuilder(256);
            _builder = null;
            Write(sb, value, 0);
            string json = sb.ToString();
            if (sb.Capacity <= KeptBuilderChars)
            {
                sb.Clear();
                _builder = sb;
            }
            return json;
        }

        [ThreadStatic] private static StringBuilder _builder;

        // A builder grown past this for one large value is not kept.
        private const int KeptBuilderChars = 16 * 1024;

        private static void Write(StringBuilder sb, object value, int depth)
        {
            if (depth > MaxDepth)
                throw new ArgumentException("value nests deeper than " + MaxDepth + " levels (a reference cycle?)");

            if (value == null || value is DBNull) { sb.Append("null"); return; }

            var raw = value as RawJson;
            if (raw != null) { sb.Append(raw.Json); return; }

            var s = value as string;
            if (s != null) { WriteString(sb, s); return; }

            if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
            if (value is char) { WriteString(sb, value.ToString()); return; }
            if (value is Enum) { WriteString(sb, value.ToString()); return; }
            if (WriteNumber(sb, value)) return;

            if (value is DateTime)
            {
                WriteString(sb, ((DateTime)value).ToString("o", CultureInfo.InvariantCulture));
                return;
            }
            if (value is DateTimeOffset)
            {
                WriteString(sb, ((DateTimeOffset)value).ToString("o", CultureInfo.InvariantCulture));
                return;
            }
            if (value is Guid || value is Uri || value is TimeSpan)
            {
                WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }

            // The usual argument map, enumerated as itself: no DictionaryEntry boxed per
            // member, the same order.
            Type type = value.GetType();
            if (type == typeof(Dictionary<string, object>) || type == typeof(JsonObject))
            {
                WriteMap(sb, (Dictionary<string, object>)value, depth);
                return;
            }

            var dict = value as IDictionary;
            if (dict != null) { WriteDictionary(sb, dict, depth); return; }

            // IDictionary<string, T> implementations that are not IDictionary
            // (ExpandoObject, custom maps) enumerate as key/value pairs.
            var pairs = value as IEnumerable<KeyValuePair<string, object>>;
            if (pairs != null) { WritePairs(sb, pairs, depth); return; }

            var list = value as IEnumerable;
            if (list != null) { WriteList(sb, list, depth); return; }

            WriteProperties(sb, value, depth);
        }

        private static bool WriteNumber(StringBuilder sb, object value)
        {
            switch (Type.GetTypeCode(value.GetType()))
            {
                case TypeCode.SByte:
                case TypeCode.Byte:
                case TypeCode.Int16:
                case TypeCode.UInt16:
                case TypeCode.Int32:
                case TypeCode.UInt32:
                case TypeCode.Int64:
                case TypeCode.UInt64:
                    sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                    return true;
                case TypeCode.Decimal:
                    sb.Append(((decimal)value).ToString(CultureInfo.InvariantCulture));
                    return true;
                case TypeCode.Single:
                    WriteDouble(sb, (float)value, ((float)value).ToString("R", CultureInfo.InvariantCulture));
                    return true;
                case TypeCode.Double:
                    WriteDouble(sb, (double)value, ((double)value).ToString("R", CultureInfo.InvariantCulture));
                    return true;
                default:
                    return false;
            }
        }

        private static void WriteDouble(StringBuilder sb, double d, string text)
        {
            if (double.IsNaN(d) || double.IsInfinity(d))
                throw new ArgumentException("JSON has no representation for " + text);
            sb.Append(text);
        }

        /// <summary>Appends <paramref name="s"/> as a quoted JSON string, U+2028 and
        /// U+2029 escaped too so the text is also safe inside JavaScript.</summary>
        internal static void WriteString(StringBuilder sb, string s)
        {
            WriteString(sb, s, true);
        }

        /// <summary>Appends <paramref name="s"/> quoted: <c>"</c> and <c>\</c> escaped, the
        /// control characters as \n, \r, \t, \b, \f or \u00XX (lowercase hex), U+2028 and
        /// U+2029 as \u2028 and \u2029 when <paramref name="lineSeparators"/> (serde_json,
        /// which the engine writes with, leaves them as they are).</summary>
        internal static void WriteString(StringBuilder sb, string s, bool lineSeparators)
        {
            sb.Append('"');
            // The characters that need no escape go in as runs, not one by one.
            int start = 0;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c >= 0x20 && c != '"' && c != '\\' && (!lineSeparators || (c != '\u2028' && c != '\u2029')))
                    continue;
                sb.Append(s, start, i - start);
                start = i + 1;
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        break;
                }
            }
            sb.Append(s, start, s.Length - start);
            sb.Append('"');
        }

        private static void WriteDictionary(StringBuilder sb, IDictionary dict, int depth)
        {
            sb.Append('{');
            bool first = true;
            foreach (DictionaryEntry entry in dict)
            {
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                sb.Append(':');
                Write(sb, entry.Value, depth + 1);
            }
            sb.Append('}');
        }

        private static void WriteMap(StringBuilder sb, Dictionary<string, object> map, int depth)
        {
            sb.Append('{');
            bool first = true;
            foreach (KeyValuePair<string, object> pair in map)
            {
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, pair.Key);
                sb.Append(':');
                Write(sb, pair.Value, depth + 1);
            }
            sb.Append('}');
        }

        private static void WritePairs(StringBuilder sb, IEnumerable<KeyValuePair<string, object>> pairs, int depth)
        {
            sb.Append('{');
            bool first = true;
            foreach (var pair in pairs)
            {
                if (!first) sb.Append(',');
                first = false;
                WriteString(sb, pair.Key);
                sb.Append(':');
                Write(sb, pair.Value, depth + 1);
            }
            sb.Append('}');
        }

        private static void WriteList(StringBuilder sb, IEnumerable list, int depth)
        {
            sb.Append('[');
            bool first = true;
            foreach (object item in list)
            {
                if (!first) sb.Append(',');
                first = false;
                Write(sb, item, depth + 1);
            }
            sb.Append(']');
        }

        // Anonymous objects and plain classes and structs: their public
        // readable instance properties, then their public instance fields, in
        // declaration order (what CachedPayload fills back on a replay).
        private static void WriteProperties(StringBuilder sb, object value, int depth)
        {
            ObjectMembers members = ObjectMembers.Of(value.GetType());
            sb.Append('{');
            for (int i = 0; i < members.Keys.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(members.Keys[i]);
                Write(sb, members.Getters[i](value), depth + 1);
            }
            sb.Append('}');
        }
    }
}

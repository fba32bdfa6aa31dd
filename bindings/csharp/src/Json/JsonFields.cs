using System;
using System.Collections.Generic;

namespace AuraGuard
{
    /// <summary>
    /// Typed reads of members of a <see cref="JsonObject"/>, tolerant of absent
    /// members and nulls, used to fill the decision, stats and event types.
    /// </summary>
    internal static class JsonFields
    {
        public static string String(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v) || v == null) return null;
            var s = v as string;
            return s ?? o.RawText(key);
        }

        public static bool Bool(JsonObject o, string key)
        {
            object v;
            return o != null && o.TryGetValue(key, out v) && v is bool && (bool)v;
        }

        public static bool? NullableBool(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v) || !(v is bool)) return null;
            return (bool)v;
        }

        public static long Long(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v) || v == null) return 0;
            if (v is long) return (long)v;
            if (v is ulong) return long.MaxValue;
            if (v is double) return (long)(double)v;
            return 0;
        }

        public static ulong? NullableULong(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v) || v == null) return null;
            if (v is long && (long)v >= 0) return (ulong)(long)v;
            if (v is ulong) return (ulong)v;
            return null;
        }

        public static double Double(JsonObject o, string key)
        {
            return NullableDouble(o, key) ?? 0.0;
        }

        public static double? NullableDouble(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v) || v == null) return null;
            if (v is double) return (double)v;
            if (v is long) return (long)v;
            if (v is ulong) return (ulong)v;
            return null;
        }

        public static JsonObject Object(JsonObject o, string key)
        {
            object v;
            if (o == null || !o.TryGetValue(key, out v)) return null;
            return v as JsonObject;
        }

        /// <summary>A list's items as strings (non-string items as their JSON text).</summary>
        public static IList<string> StringList(JsonObject o, string key)
        {
            var result = new List<string>();
            object v;
            if (o == null || !o.TryGetValue(key, out v)) return result.AsReadOnly();
            var list = v as List<object>;
            if (list == null) return result.AsReadOnly();
            foreach (object item in list)
            {
                var s = item as string;
                result.Add(s ?? JsonWriter.ToJson(item));
            }
            return result.AsReadOnly();
        }

        public static IList<object> List(JsonObject o, string key)
        {
            object v;
            var list = o != null && o.TryGetValue(key, out v) ? v as List<object> : null;
            return (list ?? new List<object>()).AsReadOnly();
        }

        /// <summary>An object whose values are strings (others as their JSON text).</summary>
        public static IDictionary<string, string> StringMap(JsonObject o, string key)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            var inner = Object(o, key);
            if (inner == null) return result;
            foreach (var pair in inner)
            {
                var s = pair.Value as string;
                result[pair.Key] = s ?? inner.RawText(pair.Key);
            }
            return result;
        }
    }
}

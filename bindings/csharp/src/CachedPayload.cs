using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;

namespace AuraGuard
{
    /// <summary>
    /// Turns a cached result's payload into the type <see cref="Guard.Run{T}"/> returns, so that a
    /// replayed call gives the caller the same type as the first one. The payload was written by
    /// <c>JsonWriter</c> (a class as its public properties); it is read back the same way: a JSON
    /// object fills a class or struct with a public parameterless constructor through its public
    /// settable properties and fields, matched by name (exactly, ignoring case, or as
    /// <c>snake_case</c>); arrays fill arrays, <c>List&lt;T&gt;</c> and the list interfaces;
    /// objects fill <c>Dictionary&lt;string, V&gt;</c>; numbers, strings and enums convert as
    /// <see cref="Convert"/> does. A payload that cannot be given as the requested type
    /// throws <see cref="InvalidCastException"/> naming the payload and the type.
    /// </summary>
    internal static class CachedPayload
    {
        public static T ConvertTo<T>(CachedResult cached)
        {
            Type target = typeof(T);
            if (target == typeof(RawJson)) return (T)(object)new RawJson(cached.PayloadJson);
            try
            {
                return (T)ConvertValue(cached.Payload, target, 0);
            }
            catch (Exception ex)
            {
                if (ex is OverflowException || ex is ArgumentException || ex is InvalidCastException ||
                    ex is FormatException || ex is MissingMethodException || ex is TargetInvocationException)
                    throw Mismatch(target, cached);
                throw;
            }
        }

        // The engine refuses payloads nested deeper than this; a type that
        // recurses further cannot be filled from one.
        private const int MaxDepth = 128;

        private static object ConvertValue(object value, Type target, int depth)
        {
            if (depth > MaxDepth) throw new InvalidCastException("payload nested too deep");
            if (value == null)
            {
                if (!target.IsValueType || Nullable.GetUnderlyingType(target) != null) return null;
                throw new InvalidCastException("null for a value type");
            }
            if (target.IsInstanceOfType(value)) return value;

            Type inner = Nullable.GetUnderlyingType(target) ?? target;
            var text = value as string;
            if (text != null)
            {
                // The types JsonWriter writes as strings.
                if (inner.IsEnum) return Enum.Parse(inner, text);
                if (inner == typeof(DateTime))
                    return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                if (inner == typeof(DateTimeOffset))
                    return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                if (inner == typeof(Guid)) return new Guid(text);
                if (inner == typeof(TimeSpan)) return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
                if (inner == typeof(Uri)) return new Uri(text, UriKind.RelativeOrAbsolute);
                if (inner == typeof(char) && text.Length == 1) return text[0];
            }
            if (IsNumber(value) && (inner.IsPrimitive || inner == typeof(decimal)) && inner != typeof(bool) &&
                inner != typeof(char))
                return Convert.ChangeType(value, inner, CultureInfo.InvariantCulture);

            var list = value as List<object>;
            if (list != null) return ToList(list, inner, depth);
            var obj = value as IDictionary<string, object>;
            if (obj != null) return ToObject(obj, inner, depth);
            throw new InvalidCastException("no conversion");
        }

        private static object ToList(List<object> items, Type target, int depth)
        {
            if (target.IsArray && target.GetArrayRank() == 1)
            {
                Type element = target.GetElementType();
                Array array = Array.CreateInstance(element, items.Count);
                for (int i = 0; i < items.Count; i++) array.SetValue(ConvertValue(items[i], element, depth + 1), i);
                return array;
            }
            Type item = ListElement(target);
            if (item == null) throw new InvalidCastException("not a list type");
            var result = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item));
            foreach (object v in items) result.Add(ConvertValue(v, item, depth + 1));
            return result;
        }

        // The T of List<T> and of the list interfaces a List<T> implements.
        private static Type ListElement(Type target)
        {
            if (!target.IsGenericType) return null;
            Type def = target.GetGenericTypeDefinition();
            if (def == typeof(List<>) || def == typeof(IList<>) || def == typeof(ICollection<>) ||
                def == typeof(IEnumerable<>) || def == typeof(IReadOnlyList<>) || def == typeof(IReadOnlyCollection<>))
                return target.GetGenericArguments()[0];
            return null;
        }

        private static object ToObject(IDictionary<string, object> obj, Type target, int depth)
        {
            Type valueType = DictionaryValue(target);
            if (valueType != null)
            {
                var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType));
                foreach (var pair in obj) dict[pair.Key] = ConvertValue(pair.Value, valueType, depth + 1);
                return dict;
            }
            if (target.IsAbstract || target.IsInterface || target.IsPrimitive || target == typeof(string))
                throw new InvalidCastException("not an object type");
            // Throws MissingMethodException without a public parameterless constructor.
            object instance = Activator.CreateInstance(target);
            const BindingFlags members = BindingFlags.Public | BindingFlags.Instance;
            foreach (PropertyInfo p in target.GetProperties(members))
            {
                object v;
                if (p.CanWrite && p.GetIndexParameters().Length == 0 && TryMember(obj, p.Name, out v))
                    p.SetValue(instance, ConvertValue(v, p.PropertyType, depth + 1), null);
            }
            foreach (FieldInfo f in target.GetFields(members))
            {
                object v;
                if (!f.IsInitOnly && TryMember(obj, f.Name, out v))
                    f.SetValue(instance, ConvertValue(v, f.FieldType, depth + 1));
            }
            return instance;
        }

        // The V of Dictionary<string, V> and of the dictionary interfaces it implements.
        private static Type DictionaryValue(Type target)
        {
            if (!target.IsGenericType) return null;
            Type def = target.GetGenericTypeDefinition();
            Type[] args = target.GetGenericArguments();
            if ((def == typeof(Dictionary<,>) || def == typeof(IDictionary<,>) || def == typeof(IReadOnlyDictionary<,>))
                && args[0] == typeof(string))
                return args[1];
            return null;
        }

        private static bool TryMember(IDictionary<string, object> obj, string name, out object value)
        {
            if (obj.TryGetValue(name, out value)) return true;
            string snake = SnakeCase(name);
            foreach (var pair in obj)
            {
                if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(pair.Key, snake, StringComparison.Ordinal))
                {
                    value = pair.Value;
                    return true;
                }
            }
            return false;
        }

        // RefundId -> refund_id, HTTPStatus -> http_status.
        private static string SnakeCase(string name)
        {
            var sb = new System.Text.StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                bool boundary = i > 0 && char.IsUpper(c) &&
                    (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (boundary) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            return sb.ToString();
        }

        private static bool IsNumber(object value)
        {
            return value is long || value is ulong || value is double;
        }

        private static InvalidCastException Mismatch(Type target, CachedResult cached)
        {
            return new InvalidCastException("the cached payload " + Shorten(cached.PayloadJson) +
                " cannot be returned as " + target.Name + "; call Run<object> or Run<RawJson> for this tool");
        }

        private static string Shorten(string json)
        {
            return json.Length <= 80 ? json : json.Substring(0, 77) + "...";
        }
    }
}

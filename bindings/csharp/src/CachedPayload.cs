using System;
using System.Globalization;

namespace AuraGuard
{
    /// <summary>Turns a cached result's payload into the type <see cref="Guard.Run{T}"/> returns.</summary>
    internal static class CachedPayload
    {
        public static T ConvertTo<T>(CachedResult cached)
        {
            Type target = typeof(T);
            if (target == typeof(RawJson)) return (T)(object)new RawJson(cached.PayloadJson);

            object value = cached.Payload;
            if (value == null)
            {
                if (!target.IsValueType || Nullable.GetUnderlyingType(target) != null) return default(T);
                throw Mismatch(target, cached);
            }
            if (target.IsInstanceOfType(value)) return (T)value;

            Type inner = Nullable.GetUnderlyingType(target) ?? target;
            try
            {
                if (inner.IsEnum && value is string) return (T)Enum.Parse(inner, (string)value);
                if (IsNumber(value) && (inner.IsPrimitive || inner == typeof(decimal)) && inner != typeof(bool)
                    && inner != typeof(char))
                    return (T)Convert.ChangeType(value, inner, CultureInfo.InvariantCulture);
            }
            catch (Exception ex)
            {
                if (ex is OverflowException || ex is ArgumentException || ex is InvalidCastException)
                    throw Mismatch(target, cached);
                throw;
            }
            throw Mismatch(target, cached);
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

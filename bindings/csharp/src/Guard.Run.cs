using System;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        /// <summary>
        /// Check, execute, record, in one call.
        /// <list type="bullet">
        /// <item>allow: runs <paramref name="fn"/>, records its return value as the payload
        /// (or ok without a payload when the value cannot be written as JSON) and returns
        /// it. If <paramref name="fn"/> throws, the call is recorded as failed with the
        /// exception's type name as error code, and the exception is rethrown.</item>
        /// <item>cache with a successful result: <paramref name="fn"/> is not run; the cached
        /// payload is returned converted to <typeparamref name="T"/> (see below).</item>
        /// <item>anything else (block, rewrite, escalate, finalize, a cached failure):
        /// throws <see cref="GuardDeniedException"/> carrying the decision.</item>
        /// </list>
        /// A cached payload converts to: <see cref="RawJson"/> (its JSON text); object
        /// (plain values as read by <see cref="JsonReader"/>); string, bool, numbers, enums
        /// (by name) and their nullables; <see cref="JsonObject"/> and the dictionary and
        /// list interfaces it implements. Other types (anonymous or custom classes) throw
        /// <see cref="InvalidCastException"/>: use <c>Run&lt;object&gt;</c> or
        /// <c>Run&lt;RawJson&gt;</c> for those.
        /// </summary>
        public T Run<T>(string tool, object args, Func<T> fn, string ticketId = null, bool? sideEffect = null)
        {
            if (fn == null) throw new ArgumentNullException("fn");
            Decision decision = CheckTool(tool, args, ticketId, sideEffect);
            switch (decision.Action)
            {
                case GuardAction.Allow:
                    return Execute(decision, fn);
                case GuardAction.Cache:
                    if (decision.CachedResult != null && decision.CachedResult.Ok)
                        return CachedPayload.ConvertTo<T>(decision.CachedResult);
                    throw new GuardDeniedException(decision);
                default:
                    throw new GuardDeniedException(decision);
            }
        }

        private T Execute<T>(Decision decision, Func<T> fn)
        {
            T value;
            try
            {
                value = fn();
            }
            catch (Exception ex)
            {
                RecordResult(false, null, ex.GetType().Name, null, decision.CallId);
                throw;
            }

            RawJson payload;
            try
            {
                payload = new RawJson(JsonWriter.ToJson(value));
            }
            catch (ArgumentException)
            {
                // The tool ran and succeeded; only its value is not JSON (NaN, a cycle).
                payload = null;
            }
            RecordResult(true, payload, null, null, decision.CallId);
            return value;
        }
    }
}

using System;
using System.Globalization;

namespace AuraGuard
{
    /// <summary>
    /// A guard for one agent run: ask <see cref="CheckTool"/> before each tool call,
    /// execute only on <see cref="GuardAction.Allow"/>, then <see cref="RecordResult"/>.
    /// One instance may be used from many threads at once; the library serializes
    /// the calls. Dispose it to free the native guard (its secret key is wiped).
    /// </summary>
    public sealed partial class Guard : IDisposable
    {
        /// <summary>The binding's version; equal to the native <c>auraguard_version()</c>.</summary>
        public const string Version = "0.1.0";

        private readonly GuardHandle _handle;
        private readonly int _capacity;

        /// <summary>Creates a guard from a typed configuration.</summary>
        /// <exception cref="AuraGuardException">Status <see cref="GuardStatus.Config"/>
        /// with a message naming the rejected key.</exception>
        public Guard(GuardConfig config)
            : this((config ?? Throw<GuardConfig>("config")).ToJson(), config.PendingCalls() ?? 1)
        {
        }

        // capacity: max_pending_calls, taken from the GuardConfig itself rather than
        // parsed back out of the JSON it wrote (a guard per agent run is common); null
        // for JSON given as it is, read once the engine has accepted it.
        private Guard(string configJson, int? capacity)
        {
            _handle = CreateHandle(configJson);
            _native = _handle.DangerousGetHandle();
            _capacity = capacity.HasValue ? Math.Max(capacity.Value, 1) : PendingCapacity(configJson);
            _nativeCallback = OnNativeEvent;
        }

        /// <summary>Creates a guard from configuration JSON, e.g. <c>{"secret_key": "..."}</c>.</summary>
        /// <exception cref="AuraGuardException">Status <see cref="GuardStatus.Config"/>
        /// with a message naming the rejected key.</exception>
        public static Guard FromJson(string configJson)
        {
            if (configJson == null) throw new ArgumentNullException("configJson");
            return new Guard(configJson, null);
        }

        /// <summary>The native library's version string.</summary>
        public static string NativeVersion
        {
            get { return FromUtf8(NativeLibrary.Call(() => Native.auraguard_version())); }
        }

        private static GuardHandle CreateHandle(string configJson)
        {
            GuardHandle handle;
            IntPtr error;
            byte[] config = ToUtf8(configJson, "configJson");
            GuardStatus status;
            try
            {
                status = Native.auraguard_guard_new(config, out handle, out error);
            }
            catch (DllNotFoundException e)
            {
                throw NativeLibrary.NotFound(e);
            }
            try
            {
                Check(status, error);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            return handle;
        }

        /// <summary>
        /// Decides on a tool call before it is executed.
        /// </summary>
        /// <param name="tool">The tool's name.</param>
        /// <param name="args">The arguments: a dictionary, an anonymous or plain object,
        /// or <see cref="RawJson"/> holding a JSON object; null means no arguments.</param>
        /// <param name="ticketId">The customer ticket or task; null for the run itself.</param>
        /// <param name="sideEffect">Whether the call changes the world; null to use
        /// the configuration's side_effect_tools.</param>
        /// <exception cref="AuraGuardException"><see cref="GuardStatus.Misuse"/> in strict
        /// mode while an allowed call awaits its result; <see cref="GuardStatus.InvalidArgument"/>
        /// for malformed or oversized input.</exception>
        public Decision CheckTool(string tool, object args = null, string ticketId = null, bool? sideEffect = null)
        {
            return CheckToolCore(tool, args, ticketId, sideEffect, null);
        }

        private Decision CheckToolCore(string tool, object args, string ticketId, bool? sideEffect, HandlerFaults faults)
        {
            if (tool == null) throw new ArgumentNullException("tool");
            byte[] argsUtf8;
            string argsJson = ToJsonText(args, out argsUtf8);
            int flag = sideEffect.HasValue ? (sideEffect.Value ? 1 : 0) : -1;
            return CheckToolFast(tool, argsJson, argsUtf8, ticketId, flag, faults);
        }

        /// <summary>
        /// Reports the result of an allowed call.
        /// </summary>
        /// <param name="ok">Whether the tool succeeded.</param>
        /// <param name="payload">What it returned: any value the JSON writer takes, or <see cref="RawJson"/>.</param>
        /// <param name="errorCode">On failure, e.g. "429", "timeout", "503".</param>
        /// <param name="sideEffectExecuted">Whether a side effect happened (say true after
        /// a timeout once the request was sent); null lets the engine infer it.</param>
        /// <param name="callId">The allow decision's <see cref="Decision.CallId"/>; null
        /// means the most recent waiting call.</param>
        /// <exception cref="AuraGuardException"><see cref="GuardStatus.InvalidArgument"/> for a
        /// call id that awaits no result; <see cref="GuardStatus.Misuse"/> in strict mode when
        /// no call awaits a result.</exception>
        public void RecordResult(bool ok, object payload = null, string errorCode = null,
            bool? sideEffectExecuted = null, ulong? callId = null)
        {
            RecordResultCore(ok, payload, errorCode, sideEffectExecuted, callId, null);
        }

        private void RecordResultCore(bool ok, object payload, string errorCode, bool? sideEffectExecuted,
            ulong? callId, HandlerFaults faults)
        {
            byte[] payloadUtf8;
            string payloadJson = ToJsonText(payload, out payloadUtf8);
            RecordResultFast(ok, payloadJson, payloadUtf8, errorCode, sideEffectExecuted, callId, faults);
        }

        // A value as the text the library reads: null for null; a RawJson as it is (its
        // bytes in `utf8`, and no text, when it was made from UTF-8 bytes; JsonWriter
        // would copy it through a StringBuilder to the same string); anything else
        // through JsonWriter.
        private static string ToJsonText(object value, out byte[] utf8)
        {
            utf8 = null;
            if (value == null) return null;
            var raw = value as RawJson;
            if (raw == null) return JsonWriter.ToJson(value);
            utf8 = raw.Utf8;
            return utf8 == null ? raw.Json : null;
        }

        /// <summary>Reports a result given as the engine's result JSON
        /// (<c>{"ok": true, "payload": ..., "call_id": N}</c>).</summary>
        public void RecordResultJson(string resultJson)
        {
            RecordResultJson(resultJson, null);
        }

        private void RecordResultJson(string resultJson, HandlerFaults faults)
        {
            if (resultJson == null) throw new ArgumentNullException("resultJson");
            byte[] json = ToUtf8(resultJson, "resultJson");
            ThrowIfDisposed();
            IntPtr error;
            GuardStatus status = Native.auraguard_record_result(_handle, json, out error);
            DeliverEvents(faults);
            Check(status, error);
        }

        /// <summary>
        /// Checks an assistant message for a stall; null when there is nothing to do.
        /// The text is never stored.
        /// </summary>
        public Decision CheckOutput(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            return CheckOutputFast(text);
        }

        /// <summary>Adds a model call's usage to the run's cost.</summary>
        /// <param name="inputTokens">Prompt tokens.</param>
        /// <param name="outputTokens">Completion tokens.</param>
        /// <param name="costUsd">The call's cost; null prices the tokens with the cost model.</param>
        /// <exception cref="AuraGuardException"><see cref="GuardStatus.InvalidArgument"/> for a
        /// negative or non-finite cost.</exception>
        public void RecordTokens(ulong inputTokens, ulong outputTokens, double? costUsd = null)
        {
            ThrowIfDisposed();
            IntPtr error;
            GuardStatus status = Native.auraguard_record_tokens(_handle, inputTokens, outputTokens,
                costUsd ?? double.NaN, out error);
            DeliverEvents(null);
            Check(status, error);
        }

        /// <summary>The run's counters.</summary>
        public GuardStats Stats()
        {
            ThrowIfDisposed();
            IntPtr json, error;
            Check(Native.auraguard_stats_json(_handle, out json, out error), error);
            return GuardStats.Parse(TakeString(json));
        }

        /// <summary>The run's report as text for a person (as in every binding).</summary>
        public string Report()
        {
            ThrowIfDisposed();
            IntPtr text, error;
            Check(Native.auraguard_report_text(_handle, out text, out error), error);
            return TakeString(text);
        }

        /// <summary>The same as <see cref="Report"/>.</summary>
        public string ReportText()
        {
            return Report();
        }

        /// <summary>The run's report as the library writes it, JSON: stats, interventions by
        /// primitive and tool, side effects, quarantines, top reasons, recent interventions,
        /// cost events.</summary>
        public string ReportJson()
        {
            ThrowIfDisposed();
            IntPtr json, error;
            Check(Native.auraguard_report_json(_handle, out json, out error), error);
            return TakeString(json);
        }

        /// <summary><see cref="ReportJson"/> read into a <see cref="JsonObject"/>
        /// (e.g. <c>data["stats"]</c>, <c>data["by_tool"]</c>).</summary>
        public JsonObject ReportData()
        {
            return (JsonObject)JsonReader.Parse(ReportJson());
        }

        /// <summary>The run's state as opaque JSON (signatures, counts, reasons and costs,
        /// MAC'd under the secret key), for <see cref="LoadState"/>.</summary>
        public string SaveState()
        {
            ThrowIfDisposed();
            IntPtr state, error;
            Check(Native.auraguard_state_save(_handle, out state, out error), error);
            return TakeString(state);
        }

        /// <summary>Replaces the run's state with a saved one (same secret key).</summary>
        /// <exception cref="AuraGuardException"><see cref="GuardStatus.State"/> when the state
        /// is unreadable, of an unknown version or fails its MAC; the guard is unchanged.</exception>
        public void LoadState(string stateJson)
        {
            if (stateJson == null) throw new ArgumentNullException("stateJson");
            ThrowIfDisposed();
            IntPtr error;
            byte[] state = ToUtf8(stateJson, "stateJson");
            Check(Native.auraguard_state_load(_handle, state, out error), error);
        }

        /// <summary>Starts a new run, keeping the configuration.</summary>
        public void Reset()
        {
            ThrowIfDisposed();
            IntPtr error;
            Check(Native.auraguard_reset(_handle, out error), error);
        }

        // max_pending_calls of a configuration the engine accepted: how many Run
        // calls may be in flight at once.
        private static int PendingCapacity(string configJson)
        {
            var o = JsonReader.Parse(configJson) as JsonObject;
            object value;
            if (o != null && o.TryGetValue("max_pending_calls", out value) && value is long && (long)value >= 1)
                return (int)Math.Min((long)value, int.MaxValue);
            return 1;
        }

        private void ThrowIfDisposed()
        {
            if (IsDisposed) throw new ObjectDisposedException(typeof(Guard).FullName);
        }

        private static T Throw<T>(string parameter)
        {
            throw new ArgumentNullException(parameter);
        }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "Guard(libauraguard {0}{1})", Version,
                IsDisposed ? ", disposed" : "");
        }
    }
}

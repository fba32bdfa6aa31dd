using System;
using System.Threading;
using System.Threading.Tasks;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        private Func<Exception, CancellationToken, ToolFailure> _classifier;
        private int _runsInFlight;
        private long _recordFailures;

        /// <summary>
        /// How <see cref="Run{T}"/> and <see cref="RunAsync{T}"/> classify a tool's
        /// exception; null (the default) means <see cref="ErrorClassifier.Classify(Exception, CancellationToken)"/>,
        /// which a replacement may call for the cases it leaves alone.
        /// </summary>
        public Func<Exception, CancellationToken, ToolFailure> ErrorClassifier
        {
            get { return _classifier; }
            set { _classifier = value; }
        }

        /// <summary>The tool outcomes Run could not record as given (each is also a
        /// "record_failed" event): the tool's value was not JSON or too large, or its call
        /// was no longer waiting.</summary>
        public long RecordFailures
        {
            get { return Interlocked.Read(ref _recordFailures); }
        }

        /// <summary>
        /// Check, execute, record, in one call.
        /// <list type="bullet">
        /// <item>allow: runs <paramref name="fn"/>, records its return value as the payload
        /// and returns it. If <paramref name="fn"/> throws, the call is recorded as failed,
        /// classified by <see cref="ErrorClassifier"/>, and the exception is rethrown; for a
        /// side-effect tool an outcome not known to be "not executed" is recorded as
        /// executed, so a retry is never executed twice.</item>
        /// <item>cache with a successful result: <paramref name="fn"/> is not run; the cached
        /// payload is returned converted to <typeparamref name="T"/> (see below).</item>
        /// <item>anything else (block, rewrite, escalate, finalize, a cached failure):
        /// throws <see cref="GuardDeniedException"/> carrying the decision.</item>
        /// </list>
        /// A cached payload converts to: <see cref="RawJson"/> (its JSON text); object
        /// (plain values as read by <see cref="JsonReader"/>); string, bool, numbers, enums
        /// (by name) and their nullables; <see cref="JsonObject"/> and the dictionary and
        /// list interfaces it implements. Other types throw <see cref="InvalidCastException"/>.
        /// With T = object every call, first or replayed, returns the value as JSON reads it
        /// back, so both have the same shape.
        /// When the outcome cannot be recorded as given after <paramref name="fn"/> ran, it
        /// is recorded without the payload, the value is still returned, and the problem is
        /// counted in <see cref="RecordFailures"/> and raised as a "record_failed" event.
        /// The events of the call are raised once it is recorded, and the first exception a
        /// handler of <see cref="Event"/> throws is rethrown then, unless the call throws an
        /// exception of its own (a denial, the tool's), which wins.
        /// </summary>
        /// <exception cref="GuardBusyException">As many Run calls as the guard's
        /// concurrency are already in flight; nothing was checked.</exception>
        public T Run<T>(string tool, object args, Func<T> fn, string ticketId = null, bool? sideEffect = null)
        {
            if (fn == null) throw new ArgumentNullException("fn");
            // The asynchronous form on a task that is already complete: it runs to the
            // end on this thread, and GetResult rethrows the tool's own exception.
            return RunAsync(tool, args, token => Task.FromResult(fn()), ticketId, sideEffect).GetAwaiter().GetResult();
        }

        /// <summary>
        /// <see cref="Run{T}"/> for an asynchronous tool: <paramref name="fn"/> receives
        /// <paramref name="cancellationToken"/>. A token cancelled before the check throws
        /// <see cref="OperationCanceledException"/> and checks nothing; a cancellation while
        /// the tool runs is recorded as "cancelled" (for a side-effect tool: as executed).
        /// The guard's own calls are synchronous and short; nothing here captures the
        /// synchronization context.
        /// </summary>
        public async Task<T> RunAsync<T>(string tool, object args, Func<CancellationToken, Task<T>> fn,
            string ticketId = null, bool? sideEffect = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (fn == null) throw new ArgumentNullException("fn");
            cancellationToken.ThrowIfCancellationRequested();
            var faults = new HandlerFaults();
            T result;
            EnterRun();
            try
            {
                Decision decision = CheckToolCore(tool, args, ticketId, sideEffect, faults);
                if (decision.Action != GuardAction.Allow)
                {
                    result = Replay<T>(decision);
                }
                else
                {
                    T value;
                    try
                    {
                        Task<T> task = fn(cancellationToken);
                        if (task == null) throw new InvalidOperationException("the tool function returned no Task");
                        value = await task.ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        RecordFailure(decision, tool, ex, cancellationToken, faults);
                        throw;
                    }
                    result = RecordSuccess(decision, tool, value, faults);
                }
            }
            finally
            {
                LeaveRun(faults);
            }
            faults.Rethrow();
            return result;
        }

        private static T Replay<T>(Decision decision)
        {
            if (decision.Action == GuardAction.Cache && decision.CachedResult != null && decision.CachedResult.Ok)
                return CachedPayload.ConvertTo<T>(decision.CachedResult);
            throw new GuardDeniedException(decision);
        }

        private T RecordSuccess<T>(Decision decision, string tool, T value, HandlerFaults faults)
        {
            string payload = null;
            string problem = null;
            try
            {
                payload = JsonWriter.ToJson(value);
            }
            catch (ArgumentException ex)
            {
                problem = "the value cannot be written as JSON: " + ex.Message;
            }
            if (payload != null) problem = TryRecord(true, new RawJson(payload), null, null, decision.CallId, faults);
            if (problem != null)
            {
                // The tool ran: record that it succeeded, without the payload.
                string again = TryRecord(true, null, null, null, decision.CallId, faults);
                if (again != null) problem += "; recording without the payload failed too: " + again;
                RecordFailed(tool, problem, faults);
                return value;
            }
            if (typeof(T) == typeof(object)) return (T)JsonReader.Parse(payload);
            return value;
        }

        private void RecordFailure(Decision decision, string tool, Exception ex, CancellationToken token,
            HandlerFaults faults)
        {
            Func<Exception, CancellationToken, ToolFailure> classify = _classifier ?? AuraGuard.ErrorClassifier.Classify;
            ToolFailure failure;
            try
            {
                failure = classify(ex, token) ?? AuraGuard.ErrorClassifier.Classify(ex, token);
            }
            catch (Exception classifierBug)
            {
                failure = new ToolFailure(ToolFailure.DefaultCode, SideEffectOutcome.Unknown);
                RecordFailed(tool, "the error classifier threw " + classifierBug.GetType().Name, faults);
            }
            bool sideEffect = decision.IdempotencyKey != null;
            bool? executed = null;
            if (sideEffect || failure.Outcome != SideEffectOutcome.Unknown)
                executed = failure.Outcome != SideEffectOutcome.NotExecuted;
            string problem = TryRecord(false, null, failure.Code, executed, decision.CallId, faults);
            if (problem != null) RecordFailed(tool, problem, faults);
        }

        // Records a result; the guard's refusal comes back as its message.
        private string TryRecord(bool ok, object payload, string code, bool? executed, ulong? callId,
            HandlerFaults faults)
        {
            try
            {
                RecordResultCore(ok, payload, code, executed, callId, faults);
                return null;
            }
            catch (AuraGuardException ex)
            {
                return ex.Message;
            }
            catch (ObjectDisposedException)
            {
                return "the guard was disposed while the tool ran";
            }
        }

        private void RecordFailed(string tool, string problem, HandlerFaults faults)
        {
            Interlocked.Increment(ref _recordFailures);
            var e = new JsonObjectBuilder();
            e.Add("event", "record_failed");
            e.Add("tool", tool);
            e.Add("reason", problem);
            faults.Pending.Add(e.ToJson());
        }

        private void EnterRun()
        {
            int inFlight = Interlocked.Increment(ref _runsInFlight);
            if (inFlight <= _capacity) return;
            Interlocked.Decrement(ref _runsInFlight);
            throw new GuardBusyException(inFlight - 1, _capacity);
        }

        private void LeaveRun(HandlerFaults faults)
        {
            Interlocked.Decrement(ref _runsInFlight);
            if (faults.Pending.Count == 0) return;
            string[] pending = faults.Pending.ToArray();
            faults.Pending.Clear();
            RaiseEvents(pending, faults);
        }
    }

    /// <summary>
    /// Thrown by <see cref="Guard.Run{T}"/> and <see cref="Guard.RunAsync{T}"/>, before
    /// anything is checked, when as many Run calls as the guard's concurrency are already
    /// in flight: one more could push an allowed call out of the engine's pending calls and
    /// lose its result. Set <see cref="GuardConfig.Concurrency"/> to the number of threads
    /// or concurrent tasks that run tools through the guard.
    /// </summary>
    public sealed class GuardBusyException : InvalidOperationException
    {
        internal GuardBusyException(int inFlight, int capacity)
            : base(inFlight + " Run calls already in flight and the guard's concurrency (max_pending_calls) is " +
                capacity + "; set GuardConfig.Concurrency to the number of threads or tasks that share it")
        {
            InFlight = inFlight;
            Capacity = capacity;
        }

        /// <summary>Run calls in flight when this one was refused.</summary>
        public int InFlight { get; private set; }

        /// <summary>The guard's concurrency.</summary>
        public int Capacity { get; private set; }
    }
}

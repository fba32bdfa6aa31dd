using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AuraGuard.Providers
{
    /// <summary>Runs one turn's calls: check in order, execute the allowed ones (in
    /// parallel when asked), record, answer. The tools are reached through two
    /// functions, so that synchronous and asynchronous tool maps share the rest.</summary>
    internal sealed class TurnRunner
    {
        private readonly Guard _guard;
        private readonly Func<string, bool> _hasTool;
        private readonly Func<GuardedCall, Task<object>> _invoke;
        private readonly TurnOptions _options;
        private readonly CancellationToken _token;

        public TurnRunner(Guard guard, Func<string, bool> hasTool, Func<GuardedCall, Task<object>> invoke,
            TurnOptions options, CancellationToken token)
        {
            _guard = guard;
            _hasTool = hasTool;
            _invoke = invoke;
            _options = options;
            _token = token;
        }

        /// <summary>The synchronous tools: run inline one after the other, on the thread
        /// pool when several run at once.</summary>
        public static TurnRunner ForFunctions(Guard guard, IDictionary<string, Func<JsonObject, Decision, object>> tools,
            TurnOptions options)
        {
            Func<GuardedCall, Task<object>> invoke;
            if (options.MaxParallel == 1)
                invoke = g => Task.FromResult(tools[g.Call.Name](g.Call.Arguments, g.Decision));
            else
                invoke = g => Task.Run(() => tools[g.Call.Name](g.Call.Arguments, g.Decision));
            return new TurnRunner(guard, tools.ContainsKey, invoke, options, CancellationToken.None);
        }

        /// <summary>The asynchronous tools, each given the turn's cancellation token.</summary>
        public static TurnRunner ForTasks(Guard guard,
            IDictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>> tools, TurnOptions options,
            CancellationToken token)
        {
            return new TurnRunner(guard, tools.ContainsKey, g => tools[g.Call.Name](g.Call.Arguments, g.Decision, token),
                options, token);
        }

        public async Task<TurnResult> RunAsync(ProviderFormat format, IList<ToolCall> calls)
        {
            var answered = new GuardedCall[calls.Count];
            GuardedCall stopper = null;
            foreach (List<int> batch in Batches(calls))
            {
                var allowed = new List<GuardedCall>();
                foreach (int i in batch)
                {
                    GuardedCall g = stopper != null
                        ? new GuardedCall(calls[i], null, ResultTexts.Stopped(stopper), true, HostAction.None)
                        : Check(calls[i]);
                    answered[i] = g;
                    if (stopper == null && g.EndsTurn) stopper = g;
                    else if (g.ShouldRun) allowed.Add(g);
                }
                await ExecuteAsync(allowed).ConfigureAwait(false);
            }
            return new TurnResult(format, answered, stopper);
        }

        private GuardedCall Check(ToolCall call)
        {
            if (call.ArgumentsError == null && !_hasTool(call.Name))
                return new GuardedCall(call, null, ResultTexts.UnknownTool(call.Name), true, HostAction.None);
            return _guard.CheckToolCall(call, _options.TicketId);
        }

        // One call after the other, or, in parallel, groups of at most MaxParallel calls in
        // which no call repeats another: the n-th copy of a call goes in a group after the
        // one holding the (n-1)-th, so it is checked once that one is recorded.
        private IEnumerable<List<int>> Batches(IList<ToolCall> calls)
        {
            int width = _options.MaxParallel;
            if (width == 1)
            {
                for (int i = 0; i < calls.Count; i++) yield return new List<int> { i };
                yield break;
            }
            var copies = new Dictionary<string, int>(StringComparer.Ordinal);
            var waves = new List<List<int>>();
            for (int i = 0; i < calls.Count; i++)
            {
                string key = CallKey.Of(calls[i]);
                int copy;
                copies.TryGetValue(key, out copy);
                copies[key] = copy + 1;
                if (copy == waves.Count) waves.Add(new List<int>());
                waves[copy].Add(i);
            }
            foreach (List<int> wave in waves)
                for (int start = 0; start < wave.Count; start += width)
                    yield return wave.GetRange(start, Math.Min(width, wave.Count - start));
        }

        private async Task ExecuteAsync(List<GuardedCall> allowed)
        {
            var outcomes = new Task<Outcome>[allowed.Count];
            // All started before any is awaited: a batch of more than one runs at once.
            for (int i = 0; i < allowed.Count; i++) outcomes[i] = InvokeAsync(allowed[i]);
            await Task.WhenAll(outcomes).ConfigureAwait(false);
            // Recorded in the calls' order, whatever order they finished in.
            for (int i = 0; i < allowed.Count; i++) Record(allowed[i], outcomes[i].Result);
        }

        private struct Outcome
        {
            public object Value;
            public Exception Error;
        }

        // The tool's value or exception; nothing escapes, so every allowed call is recorded.
        private async Task<Outcome> InvokeAsync(GuardedCall g)
        {
            try
            {
                Task<object> task = _invoke(g);
                if (task == null) throw new InvalidOperationException("the tool function of " + g.Call.Name + " returned no Task");
                return new Outcome { Value = await task.ConfigureAwait(false) };
            }
            catch (Exception e)
            {
                return new Outcome { Error = e };
            }
        }

        private void Record(GuardedCall g, Outcome outcome)
        {
            g.Ran = true;
            ulong? callId = g.Decision.CallId;
            if (outcome.Error != null)
            {
                g.SetResult(ResultTexts.Failed(outcome.Error), true);
                ToolFailure failure = Classify(outcome.Error);
                bool? executed = null;
                if (g.Decision.IdempotencyKey != null || failure.Outcome != SideEffectOutcome.Unknown)
                    executed = failure.Outcome != SideEffectOutcome.NotExecuted;
                g.RecordError = TryRecord(() => _guard.RecordResult(false, null, failure.Code, executed, callId));
                return;
            }
            string payload;
            try
            {
                payload = JsonWriter.ToJson(outcome.Value);
            }
            catch (ArgumentException e)
            {
                // The tool ran: it is recorded as succeeded, without the payload it returned.
                g.SetResult(Convert.ToString(outcome.Value, System.Globalization.CultureInfo.InvariantCulture));
                g.RecordError = "the value cannot be written as JSON: " + e.Message;
                string again = TryRecord(() => _guard.RecordResult(true, null, null, null, callId));
                if (again != null) g.RecordError += "; recording without the payload failed too: " + again;
                return;
            }
            g.SetResult(ResultTexts.PayloadText(outcome.Value, payload));
            g.RecordError = TryRecord(() => _guard.RecordResult(true, new RawJson(payload), null, null, callId));
        }

        private ToolFailure Classify(Exception e)
        {
            Func<Exception, CancellationToken, ToolFailure> classify = _guard.ErrorClassifier ?? ErrorClassifier.Classify;
            try
            {
                return classify(e, _token) ?? ErrorClassifier.Classify(e, _token);
            }
            catch (Exception)
            {
                return new ToolFailure(ToolFailure.DefaultCode, SideEffectOutcome.Unknown);
            }
        }

        private static string TryRecord(Action record)
        {
            try
            {
                record();
                return null;
            }
            catch (AuraGuardException e)
            {
                return e.Message;
            }
        }
    }
}

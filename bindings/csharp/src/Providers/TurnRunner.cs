using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AuraGuard.Providers
{
    /// <summary>Runs one turn's calls: check in order, execute the allowed ones (in
    /// parallel when asked), record, answer.</summary>
    internal sealed class TurnRunner
    {
        private readonly Guard _guard;
        private readonly IDictionary<string, Func<JsonObject, Decision, object>> _tools;
        private readonly TurnOptions _options;

        public TurnRunner(Guard guard, IDictionary<string, Func<JsonObject, Decision, object>> tools, TurnOptions options)
        {
            _guard = guard;
            _tools = tools;
            _options = options;
        }

        public TurnResult Run(ProviderFormat format, IList<ToolCall> calls)
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
                Execute(allowed);
            }
            return new TurnResult(format, answered, stopper);
        }

        private GuardedCall Check(ToolCall call)
        {
            if (call.ArgumentsError == null && !_tools.ContainsKey(call.Name))
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

        private void Execute(List<GuardedCall> allowed)
        {
            var outcomes = new Outcome[allowed.Count];
            if (allowed.Count == 1)
            {
                outcomes[0] = Invoke(allowed[0]);
            }
            else if (allowed.Count > 1)
            {
                var tasks = new Task<Outcome>[allowed.Count];
                for (int i = 0; i < tasks.Length; i++)
                {
                    GuardedCall g = allowed[i];
                    tasks[i] = Task.Run(() => Invoke(g));
                }
                Task.WaitAll(tasks);
                for (int i = 0; i < tasks.Length; i++) outcomes[i] = tasks[i].Result;
            }
            // Recorded in the calls' order, whatever order they finished in.
            for (int i = 0; i < allowed.Count; i++) Record(allowed[i], outcomes[i]);
        }

        private struct Outcome
        {
            public object Value;
            public Exception Error;
        }

        private Outcome Invoke(GuardedCall g)
        {
            try
            {
                return new Outcome { Value = _tools[g.Call.Name](g.Call.Arguments, g.Decision) };
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
                return classify(e, CancellationToken.None) ?? ErrorClassifier.Classify(e, CancellationToken.None);
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

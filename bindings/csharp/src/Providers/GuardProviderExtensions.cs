using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AuraGuard.Providers
{
    /// <summary>
    /// The guard applied to provider tool calls: <see cref="CheckToolCall"/> for a host
    /// that runs its tools itself, <see cref="RunTurn"/> for a whole response.
    /// </summary>
    public static class GuardProviderExtensions
    {
        /// <summary>
        /// Puts one call to the guard. When <see cref="GuardedCall.ShouldRun"/>, run the tool,
        /// record its result with <see cref="Guard.RecordResult"/> under the decision's call
        /// id, and give the call its text with <see cref="GuardedCall.SetResult"/>; otherwise
        /// the call already holds the result to send (cache: the cached payload; block,
        /// rewrite: an error saying what to do; escalate, finalize: an error that ends the
        /// turn, with <see cref="GuardedCall.HostAction"/> saying what the host must do).
        /// Arguments that are not a JSON object, or that the guard refuses (too large), give
        /// an error result and leave the guard unchanged.
        /// </summary>
        public static GuardedCall CheckToolCall(this Guard guard, ToolCall call, string ticketId = null)
        {
            if (guard == null) throw new ArgumentNullException("guard");
            if (call == null) throw new ArgumentNullException("call");
            if (call.ArgumentsError != null)
                return new GuardedCall(call, null, ResultTexts.BadArguments(call), true, HostAction.None);
            Decision decision;
            try
            {
                decision = guard.CheckTool(call.Name, ArgumentsFor(call), ticketId);
            }
            catch (AuraGuardException e)
            {
                if (e.Status != GuardStatus.InvalidArgument) throw;
                return new GuardedCall(call, null, ResultTexts.RefusedArguments(e.NativeMessage), true, HostAction.None);
            }
            return FromDecision(call, decision);
        }

        /// <summary>
        /// A whole turn: reads the response's tool calls, puts each to the guard, runs the
        /// allowed ones with <paramref name="tools"/> (by name; each gets the arguments and the
        /// allow decision, whose <see cref="Decision.IdempotencyKey"/> a side-effect tool passes
        /// on), records what they returned or threw (a throw is classified as by
        /// <see cref="Guard.Run{T}"/>), and answers every call, in order. Once a call escalates
        /// or finalizes, the calls after it are not put to the guard and are answered as
        /// stopped. A tool's string result is sent as it is, any other value as its JSON.
        /// </summary>
        /// <exception cref="FormatException">The response is not JSON of the given format.</exception>
        public static TurnResult RunTurn(this Guard guard, ProviderFormat format, string responseJson,
            IDictionary<string, Func<JsonObject, Decision, object>> tools, TurnOptions options = null)
        {
            IList<ToolCall> calls = Prepare(guard, format, responseJson, tools, ref options);
            // Synchronous tools one after the other complete inline; in parallel they run on
            // the thread pool and nothing awaited captures this thread's context.
            return TurnRunner.ForFunctions(guard, tools, options).RunAsync(format, calls).GetAwaiter().GetResult();
        }

        /// <summary>
        /// <see cref="RunTurn"/> for asynchronous tools, each given
        /// <paramref name="cancellationToken"/>. A token cancelled before the turn throws
        /// <see cref="OperationCanceledException"/> and checks nothing; a tool that fails on
        /// cancellation is recorded as cancelled (for a side-effect tool: as executed, since
        /// it may have acted) and answered with its error, like any failure.
        /// </summary>
        /// <exception cref="FormatException">The response is not JSON of the given format.</exception>
        public static Task<TurnResult> RunTurnAsync(this Guard guard, ProviderFormat format, string responseJson,
            IDictionary<string, Func<JsonObject, Decision, CancellationToken, Task<object>>> tools,
            TurnOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            IList<ToolCall> calls = Prepare(guard, format, responseJson, tools, ref options);
            cancellationToken.ThrowIfCancellationRequested();
            return TurnRunner.ForTasks(guard, tools, options, cancellationToken).RunAsync(format, calls);
        }

        // Every argument checked, and the response read, before anything is put to the guard.
        private static IList<ToolCall> Prepare(Guard guard, ProviderFormat format, string responseJson, object tools,
            ref TurnOptions options)
        {
            if (guard == null) throw new ArgumentNullException("guard");
            if (tools == null) throw new ArgumentNullException("tools");
            options = options ?? new TurnOptions();
            if (options.MaxParallel < 1)
                throw new ArgumentOutOfRangeException("options", options.MaxParallel, "MaxParallel must be at least 1");
            return ProviderMessages.ReadToolCalls(format, responseJson);
        }

        // The text the provider sent, which the engine validates and signs as it is.
        private static RawJson ArgumentsFor(ToolCall call)
        {
            string text = call.ArgumentsJson;
            return string.IsNullOrEmpty(text) || text.Trim().Length == 0 ? null : new RawJson(text);
        }

        internal static GuardedCall FromDecision(ToolCall call, Decision d)
        {
            switch (d.Action)
            {
                case GuardAction.Allow:
                    return new GuardedCall(call, d, null, false, HostAction.None);
                case GuardAction.Cache:
                    bool failed = d.CachedResult == null || !d.CachedResult.Ok;
                    string text = d.CachedResult == null ? ResultTexts.Blocked(d.Reason) : ResultTexts.Cached(d.CachedResult);
                    return new GuardedCall(call, d, text, failed, HostAction.None);
                case GuardAction.Rewrite:
                    return new GuardedCall(call, d, ResultTexts.Rewritten(d), true, HostAction.None);
                case GuardAction.Escalate:
                    return new GuardedCall(call, d, ResultTexts.Escalated(d.Reason), true, HostAction.Escalate);
                case GuardAction.Finalize:
                    return new GuardedCall(call, d, ResultTexts.Finalized(d.Reason), true, HostAction.Finalize);
                default:
                    return new GuardedCall(call, d, ResultTexts.Blocked(d.Reason), true, HostAction.None);
            }
        }
    }
}

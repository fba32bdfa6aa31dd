using System.Collections.Generic;

namespace AuraGuard.Providers
{
    /// <summary>What a whole turn came to: every call with its result, and the messages to send.</summary>
    public sealed class TurnResult
    {
        internal TurnResult(ProviderFormat format, IList<GuardedCall> calls, GuardedCall stoppedBy)
        {
            Format = format;
            Calls = new List<GuardedCall>(calls).AsReadOnly();
            StoppedBy = stoppedBy;
            Messages = ProviderMessages.ToolResultMessages(format, Calls);
            var texts = new List<string>();
            var system = new List<string>();
            foreach (GuardedCall call in Calls)
            {
                string text = call.Decision == null ? null : call.Decision.InjectedSystem;
                if (call.Decision == null || call.Decision.Action != GuardAction.Rewrite || string.IsNullOrEmpty(text)
                    || texts.Contains(text)) continue;
                texts.Add(text);
                system.Add(ProviderMessages.SystemMessage(format, text));
            }
            SystemMessages = system.AsReadOnly();
        }

        /// <summary>The format the turn was read and answered in.</summary>
        public ProviderFormat Format { get; private set; }

        /// <summary>Every tool call of the response, in the model's order, each with its result.</summary>
        public IList<GuardedCall> Calls { get; private set; }

        /// <summary>The results in the provider's shape and the calls' order, to append to
        /// the conversation (see <see cref="ProviderMessages.ToolResultMessages"/>).</summary>
        public IList<string> Messages { get; private set; }

        /// <summary><see cref="Messages"/> as one JSON array.</summary>
        public string MessagesJson
        {
            get { return ProviderMessages.ToJsonArray(Messages); }
        }

        /// <summary>The guard's rewrite instructions of this turn as system (developer) messages,
        /// for hosts that inject them besides the tool results that already carry them; for
        /// Messages, text blocks for the request's <c>system</c> list.</summary>
        public IList<string> SystemMessages { get; private set; }

        /// <summary>The call whose escalation or finalization ended the run; null when none did.
        /// The calls after it were not put to the guard.</summary>
        public GuardedCall StoppedBy { get; private set; }

        /// <summary>True when the run must stop once <see cref="Messages"/> are recorded.</summary>
        public bool EndsTurn
        {
            get { return StoppedBy != null; }
        }

        /// <summary>What the host must do: <see cref="Providers.HostAction.None"/> (call the model
        /// again), or escalate / finalize with <see cref="StoppedBy"/>'s decision.</summary>
        public HostAction HostAction
        {
            get { return StoppedBy == null ? HostAction.None : StoppedBy.HostAction; }
        }
    }
}

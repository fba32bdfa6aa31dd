namespace AuraGuard.Providers
{
    /// <summary>
    /// A tool call with the guard's answer: whether to run it and, when it did not run
    /// (or once it ran, after a whole turn), the result to send back for it.
    /// </summary>
    public sealed class GuardedCall
    {
        internal GuardedCall(ToolCall call, Decision decision, string resultText, bool isError, HostAction hostAction)
        {
            Call = call;
            Decision = decision;
            ResultText = resultText;
            IsError = isError;
            HostAction = hostAction;
        }

        /// <summary>The call as the model asked for it.</summary>
        public ToolCall Call { get; private set; }

        /// <summary>The guard's decision; null when the call was never put to the guard
        /// (arguments that are not a JSON object, a tool the host does not have, a run
        /// already stopped by an earlier call).</summary>
        public Decision Decision { get; private set; }

        /// <summary>True when the guard allowed the call: run the tool and record its result
        /// under <see cref="AuraGuard.Decision.CallId"/>.</summary>
        public bool ShouldRun
        {
            get { return Decision != null && Decision.Action == GuardAction.Allow; }
        }

        /// <summary>The text of the call's result; null while an allowed tool has not given one.</summary>
        public string ResultText { get; internal set; }

        /// <summary>Whether the result is an error (the call did not run, or the tool failed).</summary>
        public bool IsError { get; internal set; }

        /// <summary>True when the tool ran (in a whole turn).</summary>
        public bool Ran { get; internal set; }

        /// <summary>Why the guard could not record the tool's result, when it could not
        /// (see <see cref="TurnOptions.MaxParallel"/>); the result still goes to the model.</summary>
        public string RecordError { get; internal set; }

        /// <summary>What the host must do after this call: escalate and finalize end the turn.</summary>
        public HostAction HostAction { get; private set; }

        /// <summary>True when the run must stop after this turn's results are sent.</summary>
        public bool EndsTurn
        {
            get { return HostAction != HostAction.None; }
        }

        /// <summary>The result as the provider's message, item or block (see
        /// <see cref="ProviderMessages.ToolResult"/>).</summary>
        /// <exception cref="System.InvalidOperationException">The tool is still to run.</exception>
        public string ResultMessage(ProviderFormat format)
        {
            if (ResultText == null)
                throw new System.InvalidOperationException("call " + Call.Id + " (" + Call.Name +
                    ") may run and has no result yet: run the tool and set its result first");
            return ProviderMessages.ToolResult(format, Call, ResultText, IsError);
        }

        /// <summary>Gives the call the result of the tool the host ran.</summary>
        public void SetResult(string text, bool isError = false)
        {
            ResultText = text ?? "";
            IsError = isError;
        }

        public override string ToString()
        {
            return Call + " -> " + (Decision == null ? "not checked" : Decision.ActionName + " " + Decision.Reason);
        }
    }
}

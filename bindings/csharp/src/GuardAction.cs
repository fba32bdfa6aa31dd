namespace AuraGuard
{
    /// <summary>What the guard decided about a tool call or an assistant message.</summary>
    public enum GuardAction
    {
        /// <summary>An action this binding does not know (from a newer engine); treat it as a denial.</summary>
        Unknown = 0,

        /// <summary>Execute the tool, then record its result with the decision's call id.</summary>
        Allow,

        /// <summary>Do not execute; tell the model the call was refused.</summary>
        Block,

        /// <summary>Do not execute; use <see cref="Decision.CachedResult"/> instead.</summary>
        Cache,

        /// <summary>Do not execute; give the model <see cref="Decision.InjectedSystem"/>.</summary>
        Rewrite,

        /// <summary>Hand the conversation to a human with <see cref="Decision.EscalationPacket"/>.</summary>
        Escalate,

        /// <summary>End the turn with <see cref="Decision.FinalizedOutput"/>.</summary>
        Finalize,
    }
}

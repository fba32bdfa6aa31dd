namespace AuraGuard.Providers
{
    /// <summary>What the host must do once the tool results are sent.</summary>
    public enum HostAction
    {
        /// <summary>Nothing special: send the results and call the model again.</summary>
        None,

        /// <summary>Stop the run and hand it to a person with the decision's
        /// <see cref="Decision.EscalationPacket"/>.</summary>
        Escalate,

        /// <summary>Stop the run and send the decision's <see cref="Decision.FinalizedOutput"/>.</summary>
        Finalize,
    }
}

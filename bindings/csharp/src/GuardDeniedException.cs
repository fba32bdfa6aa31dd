using System;

namespace AuraGuard
{
    /// <summary>
    /// Thrown by <see cref="Guard.Run{T}"/> when the guard did not let the tool run
    /// and had no usable cached result: block, rewrite, escalate, finalize, or a
    /// cached failure. <see cref="Decision"/> says what to do instead (for a
    /// rewrite, tell the model <see cref="AuraGuard.Decision.InjectedSystem"/>).
    /// </summary>
    public class GuardDeniedException : Exception
    {
        public GuardDeniedException(Decision decision)
            : base("tool call not executed: " + decision.ActionName + " (" + decision.Reason + ")")
        {
            Decision = decision;
        }

        /// <summary>The guard's decision.</summary>
        public Decision Decision { get; private set; }
    }
}

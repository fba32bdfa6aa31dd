using System;

namespace AuraGuard
{
    /// <summary>
    /// A native call failed. <see cref="Status"/> says which kind of failure;
    /// <see cref="NativeMessage"/> is the library's own explanation.
    /// </summary>
    public class AuraGuardException : Exception
    {
        public AuraGuardException(GuardStatus status, string nativeMessage)
            : base(StatusName(status) + ": " + (nativeMessage ?? "(no message)"))
        {
            Status = status;
            NativeMessage = nativeMessage;
        }

        /// <summary>What kind of failure this was.</summary>
        public GuardStatus Status { get; private set; }

        /// <summary>The message the native library gave, e.g. naming a bad config key.</summary>
        public string NativeMessage { get; private set; }

        private static string StatusName(GuardStatus status)
        {
            switch (status)
            {
                case GuardStatus.Ok: return "AURAGUARD_OK";
                case GuardStatus.InvalidArgument: return "AURAGUARD_ERR_INVALID_ARGUMENT";
                case GuardStatus.Config: return "AURAGUARD_ERR_CONFIG";
                case GuardStatus.Misuse: return "AURAGUARD_ERR_MISUSE";
                case GuardStatus.State: return "AURAGUARD_ERR_STATE";
                case GuardStatus.Internal: return "AURAGUARD_ERR_INTERNAL";
                default: return "AURAGUARD_UNKNOWN_STATUS";
            }
        }
    }
}

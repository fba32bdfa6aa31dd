namespace AuraGuard
{
    /// <summary>The native <c>auraguard_status</c>; the values never change.</summary>
    public enum GuardStatus
    {
        /// <summary>Success.</summary>
        Ok = 0,

        /// <summary>Malformed JSON, a bad flag, an oversized input, an unknown call id.</summary>
        InvalidArgument = 1,

        /// <summary>The configuration was rejected; the message names the key.</summary>
        Config = 2,

        /// <summary>Strict mode: check and record called out of order.</summary>
        Misuse = 3,

        /// <summary>A saved state was rejected (unreadable, unknown version, bad MAC).</summary>
        State = 4,

        /// <summary>A bug inside the library (a caught panic).</summary>
        Internal = 5,

        /// <summary>The idempotency ledger's store did not answer (server down, disk full,
        /// timeout); nothing was changed.</summary>
        Ledger = 6,
    }
}

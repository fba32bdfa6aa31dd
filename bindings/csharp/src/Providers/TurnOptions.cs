namespace AuraGuard.Providers
{
    /// <summary>How <see cref="GuardProviderExtensions.RunTurn"/> runs a turn's calls.</summary>
    public sealed class TurnOptions
    {
        public TurnOptions()
        {
            MaxParallel = 1;
        }

        /// <summary>The customer ticket or task the calls belong to; null for the run itself.</summary>
        public string TicketId { get; set; }

        /// <summary>
        /// How many allowed calls may run at once (default 1: one after the other, in the
        /// calls' order). Above 1 the guard must let that many calls await their results:
        /// create it with <see cref="GuardConfig.Concurrency"/> at least this. Calls the model
        /// repeated within the response are put to the guard only once the earlier copy is
        /// recorded, so a duplicated side effect is replayed from the ledger, never run twice.
        /// </summary>
        public int MaxParallel { get; set; }
    }
}

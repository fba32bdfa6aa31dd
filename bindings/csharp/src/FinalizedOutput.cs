namespace AuraGuard
{
    /// <summary>The reply to send when the guard finalizes a stalled turn.</summary>
    public sealed class FinalizedOutput
    {
        internal FinalizedOutput(JsonObject o)
        {
            ReplyDraft = JsonFields.String(o, "reply_draft");
            Reason = JsonFields.String(o, "reason");
        }

        /// <summary>The reply for the customer.</summary>
        public string ReplyDraft { get; private set; }

        /// <summary>Why the turn ends here.</summary>
        public string Reason { get; private set; }
    }
}

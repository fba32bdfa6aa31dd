namespace AuraGuard.Providers
{
    /// <summary>
    /// What a call that did not run says to the model: that it did not run, why, and
    /// what to do instead. Providers reject a transcript with a tool call left
    /// unanswered, so every outcome has a text.
    /// </summary>
    internal static class ResultTexts
    {
        public static string Cached(CachedResult cached)
        {
            if (cached.Ok) return PayloadText(cached.Payload, cached.PayloadJson);
            return "Not executed: this exact call already failed" +
                (cached.ErrorCode == null ? "" : " (error " + cached.ErrorCode + ")") +
                " and was not run again. Do not retry it; continue without its result.";
        }

        public static string Blocked(string reason)
        {
            return "Not executed: the guard blocked this call (" + reason + "). " + BlockAdvice(reason);
        }

        public static string Rewritten(Decision d)
        {
            string advice = string.IsNullOrEmpty(d.InjectedSystem)
                ? "Do not repeat this call; change your approach." : d.InjectedSystem;
            return "Not executed (" + d.Reason + "). " + advice;
        }

        public static string Escalated(string reason)
        {
            return "Not executed: this call needs a person (" + reason + "). Stop calling tools; " +
                "the conversation is being handed to a human.";
        }

        public static string Finalized(string reason)
        {
            return "Not executed: the run is over (" + reason + "). Do not call more tools.";
        }

        public static string BadArguments(ToolCall call)
        {
            return "Not executed: " + call.ArgumentsError + ". Call " + call.Name +
                " again with its arguments as one JSON object.";
        }

        public static string RefusedArguments(string message)
        {
            return "Not executed: the arguments were refused (" + message + "). Call the tool again with valid arguments.";
        }

        public static string UnknownTool(string name)
        {
            return "Not executed: there is no tool named " + name + ". Use one of the tools you were given.";
        }

        public static string Stopped(GuardedCall stopper)
        {
            return "Not executed: the run was stopped by an earlier call (" + stopper.Decision.Reason +
                "). Do not call more tools.";
        }

        public static string Failed(System.Exception e)
        {
            return "Error: the tool failed (" + e.GetType().Name + ": " + e.Message + ").";
        }

        /// <summary>A string payload as it is; any other value as its JSON.</summary>
        public static string PayloadText(object value, string json)
        {
            var s = value as string;
            return s ?? json;
        }

        private static string BlockAdvice(string reason)
        {
            if (reason == "side_effect_limit_exceeded")
                return "This action was already carried out in this run and may not be repeated; tell the user it is done.";
            if (reason == "side_effect_in_flight")
                return "The same action is already being carried out; do not repeat it.";
            if (reason == "identical_toolcall_loop")
                return "You already made this exact call; use the results you have or change your approach.";
            if (reason == "ledger_unavailable")
                return "The action cannot be carried out safely right now; do not retry it in this turn.";
            if (reason.StartsWith("policy_missing_args:", System.StringComparison.Ordinal))
                return "Required arguments are missing: " + reason.Substring("policy_missing_args:".Length) +
                    "; call the tool again with them.";
            if (reason.StartsWith("policy_deny:", System.StringComparison.Ordinal))
                return "This tool is not permitted here; continue without it.";
            return "Do not repeat this call.";
        }
    }
}

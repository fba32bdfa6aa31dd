namespace AuraGuard.Providers
{
    /// <summary>One tool call the model asked for, as read out of a provider response.</summary>
    public sealed class ToolCall
    {
        internal ToolCall(int position, string id, string name, string argumentsJson, JsonObject arguments,
            string argumentsError)
        {
            Position = position;
            Id = id;
            Name = name;
            ArgumentsJson = argumentsJson;
            Arguments = arguments;
            ArgumentsError = argumentsError;
        }

        /// <summary>Where the call stands among the response's calls, from 0.</summary>
        public int Position { get; private set; }

        /// <summary>The id its result must carry: <c>tool_call_id</c> (Chat Completions),
        /// <c>call_id</c> (Responses) or <c>tool_use_id</c> (Messages).</summary>
        public string Id { get; private set; }

        /// <summary>The tool's name.</summary>
        public string Name { get; private set; }

        /// <summary>The arguments as the provider sent them (for Messages, the text of the
        /// <c>input</c> member); null when the provider sent none.</summary>
        public string ArgumentsJson { get; private set; }

        /// <summary>The arguments read into a JSON object; null when <see cref="ArgumentsError"/> is set.</summary>
        public JsonObject Arguments { get; private set; }

        /// <summary>Why the arguments cannot be used (not JSON, or not a JSON object); null when they can.
        /// Such a call is never run: its result tells the model what was wrong.</summary>
        public string ArgumentsError { get; private set; }

        public override string ToString()
        {
            return Name + "(" + (ArgumentsJson ?? "") + ") #" + Id;
        }
    }
}

namespace AuraGuard.Providers
{
    /// <summary>The tool-calling message formats the provider helpers read and write.</summary>
    public enum ProviderFormat
    {
        /// <summary>OpenAI Chat Completions: <c>choices[0].message.tool_calls[]</c> in, one
        /// <c>{"role": "tool", "tool_call_id", "content"}</c> message per call out.</summary>
        OpenAIChat,

        /// <summary>OpenAI Responses: <c>output[]</c> items of type <c>function_call</c> in, one
        /// <c>{"type": "function_call_output", "call_id", "output"}</c> item per call out.</summary>
        OpenAIResponses,

        /// <summary>Anthropic Messages: <c>content[]</c> blocks of type <c>tool_use</c> in, one user
        /// message of <c>{"type": "tool_result", "tool_use_id", "content", "is_error"}</c> blocks out.</summary>
        AnthropicMessages,
    }
}

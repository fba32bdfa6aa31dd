using System;
using System.Collections.Generic;
using System.Text;

namespace AuraGuard.Providers
{
    /// <summary>
    /// Reads tool calls and text out of provider responses and writes the messages that
    /// answer them, as JSON text ready for the next request. Nothing here talks to the
    /// guard; see <see cref="GuardProviderExtensions"/> for that.
    /// </summary>
    public static class ProviderMessages
    {
        /// <summary>The response's tool calls, in the order the model gave them (Chat
        /// Completions: the first choice's). None when the model only wrote text.</summary>
        /// <exception cref="FormatException">The text is not JSON, or not a response of
        /// <paramref name="format"/>; the message says what is missing.</exception>
        public static IList<ToolCall> ReadToolCalls(ProviderFormat format, string responseJson)
        {
            return ToolCallReader.Read(format, responseJson);
        }

        /// <summary>The assistant's text in the response (its text parts joined by a
        /// newline), for <see cref="Guard.CheckOutput"/>; null when there is none.</summary>
        /// <exception cref="FormatException">The text is not a JSON object.</exception>
        public static string AssistantText(ProviderFormat format, string responseJson)
        {
            if (responseJson == null) throw new ArgumentNullException("responseJson");
            JsonObject response = ToolCallReader.ParseObject(responseJson, "the response");
            var parts = new List<string>();
            switch (format)
            {
                case ProviderFormat.OpenAIChat:
                    var choices = JsonFields.List(response, "choices");
                    var message = choices.Count > 0 ? JsonFields.Object(choices[0] as JsonObject, "message") : null;
                    var content = message == null ? null : JsonFields.String(message, "content");
                    if (!string.IsNullOrEmpty(content)) parts.Add(content);
                    break;
                case ProviderFormat.OpenAIResponses:
                    foreach (object item in JsonFields.List(response, "output"))
                    {
                        var o = item as JsonObject;
                        if (JsonFields.String(o, "type") != "message") continue;
                        AddTexts(JsonFields.List(o, "content"), "output_text", parts);
                    }
                    break;
                case ProviderFormat.AnthropicMessages:
                    AddTexts(JsonFields.List(response, "content"), "text", parts);
                    break;
                default:
                    throw new ArgumentOutOfRangeException("format", format, "not a provider format");
            }
            return parts.Count == 0 ? null : string.Join("\n", parts);
        }

        private static void AddTexts(IList<object> blocks, string type, List<string> parts)
        {
            foreach (object block in blocks)
            {
                var o = block as JsonObject;
                string text = JsonFields.String(o, "text");
                if (JsonFields.String(o, "type") == type && !string.IsNullOrEmpty(text)) parts.Add(text);
            }
        }

        /// <summary>
        /// The answer to one call: a Chat Completions <c>tool</c> message, a Responses
        /// <c>function_call_output</c> item, or a Messages <c>tool_result</c> block (which
        /// goes into a user message: see <see cref="ToolResultMessages"/>). The OpenAI
        /// formats carry no error flag; there the text says it.
        /// </summary>
        public static string ToolResult(ProviderFormat format, ToolCall call, string text, bool isError)
        {
            if (call == null) throw new ArgumentNullException("call");
            text = text ?? "";
            switch (format)
            {
                case ProviderFormat.OpenAIChat:
                    return Json("role", "tool", "tool_call_id", call.Id, "content", text);
                case ProviderFormat.OpenAIResponses:
                    return Json("type", "function_call_output", "call_id", call.Id, "output", text);
                case ProviderFormat.AnthropicMessages:
                    return Json("type", "tool_result", "tool_use_id", call.Id, "content", text, "is_error", isError);
                default:
                    throw new ArgumentOutOfRangeException("format", format, "not a provider format");
            }
        }

        /// <summary>
        /// The messages that answer every call of a response, in the calls' order, to
        /// append to the conversation: one per call for the OpenAI formats, one user message
        /// holding all the <c>tool_result</c> blocks for Messages (none without calls).
        /// </summary>
        public static IList<string> ToolResultMessages(ProviderFormat format, IEnumerable<GuardedCall> calls)
        {
            if (calls == null) throw new ArgumentNullException("calls");
            var results = new List<string>();
            foreach (GuardedCall call in calls) results.Add(call.ResultMessage(format));
            if (format != ProviderFormat.AnthropicMessages || results.Count == 0) return results.AsReadOnly();
            var blocks = new StringBuilder("[").Append(string.Join(",", results)).Append(']');
            return new List<string> { Json("role", "user", "content", new RawJson(blocks.ToString())) }.AsReadOnly();
        }

        /// <summary>
        /// Text for the model as an instruction (the guard's rewrite text): a Chat
        /// Completions message of <paramref name="role"/> ("system" by default, "developer"
        /// for models that take that), a Responses input message of role "developer", or for
        /// Messages, which take instructions only in the request's <c>system</c> member, a
        /// text block to add to that list.
        /// </summary>
        public static string SystemMessage(ProviderFormat format, string text, string role = null)
        {
            if (text == null) throw new ArgumentNullException("text");
            switch (format)
            {
                case ProviderFormat.OpenAIChat:
                    return Json("role", role ?? "system", "content", text);
                case ProviderFormat.OpenAIResponses:
                    return Json("type", "message", "role", role ?? "developer", "content", text);
                case ProviderFormat.AnthropicMessages:
                    return Json("type", "text", "text", text);
                default:
                    throw new ArgumentOutOfRangeException("format", format, "not a provider format");
            }
        }

        /// <summary>JSON array text of <paramref name="messages"/>, to splice into a request body.</summary>
        public static string ToJsonArray(IEnumerable<string> messages)
        {
            if (messages == null) throw new ArgumentNullException("messages");
            return "[" + string.Join(",", messages) + "]";
        }

        // An object of the given members, in order.
        private static string Json(params object[] members)
        {
            var pairs = new List<KeyValuePair<string, object>>();
            for (int i = 0; i < members.Length; i += 2)
                pairs.Add(new KeyValuePair<string, object>((string)members[i], members[i + 1]));
            return JsonWriter.ToJson(pairs);
        }
    }
}

using System;
using System.Collections.Generic;

namespace AuraGuard.Providers
{
    /// <summary>
    /// Reads the tool calls out of a provider response. A response of the wrong shape
    /// is a <see cref="FormatException"/> naming what is missing; arguments the model got
    /// wrong are not: they become the call's <see cref="ToolCall.ArgumentsError"/>, so that
    /// the call still gets a result.
    /// </summary>
    internal static class ToolCallReader
    {
        public static IList<ToolCall> Read(ProviderFormat format, string responseJson)
        {
            if (responseJson == null) throw new ArgumentNullException("responseJson");
            JsonObject response = ParseObject(responseJson, "the response");
            var calls = new List<ToolCall>();
            switch (format)
            {
                case ProviderFormat.OpenAIChat:
                    ReadChat(response, calls);
                    break;
                case ProviderFormat.OpenAIResponses:
                    ReadResponses(response, calls);
                    break;
                case ProviderFormat.AnthropicMessages:
                    ReadMessages(response, calls);
                    break;
                default:
                    throw new ArgumentOutOfRangeException("format", format, "not a provider format");
            }
            return calls.AsReadOnly();
        }

        // choices[0].message.tool_calls[]: {id, type: "function", function: {name, arguments}}.
        private static void ReadChat(JsonObject response, List<ToolCall> calls)
        {
            IList<object> choices = RequiredList(response, "choices", "an OpenAI Chat Completions response");
            if (choices.Count == 0) return;
            var choice = choices[0] as JsonObject;
            if (choice == null) throw Shape("choices[0] is not an object");
            var message = JsonFields.Object(choice, "message");
            if (message == null) throw Shape("choices[0] has no \"message\" object");
            IList<object> toolCalls = OptionalList(message, "tool_calls", "choices[0].message");
            for (int i = 0; i < toolCalls.Count; i++)
            {
                string where = "choices[0].message.tool_calls[" + i + "]";
                var call = toolCalls[i] as JsonObject;
                if (call == null) throw Shape(where + " is not an object");
                var function = JsonFields.Object(call, "function");
                if (function == null) throw Shape(where + " has no \"function\" object");
                calls.Add(FromText(calls.Count, RequiredString(call, "id", where),
                    RequiredString(function, "name", where + ".function"), function, "arguments"));
            }
        }

        // output[] items of type function_call: {call_id, name, arguments}.
        private static void ReadResponses(JsonObject response, List<ToolCall> calls)
        {
            foreach (var item in ItemsOfType(response, "output", "function_call", "an OpenAI Responses response"))
                calls.Add(FromText(calls.Count, RequiredString(item.Value, "call_id", item.Key),
                    RequiredString(item.Value, "name", item.Key), item.Value, "arguments"));
        }

        // content[] blocks of type tool_use: {id, name, input}, input already an object.
        private static void ReadMessages(JsonObject response, List<ToolCall> calls)
        {
            foreach (var item in ItemsOfType(response, "content", "tool_use", "an Anthropic Messages response"))
            {
                JsonObject block = item.Value;
                string id = RequiredString(block, "id", item.Key), name = RequiredString(block, "name", item.Key);
                object input;
                block.TryGetValue("input", out input);
                var arguments = input as JsonObject;
                string error = arguments != null ? null
                    : input == null ? "no \"input\" object was sent"
                    : "\"input\" must be a JSON object, got " + Kind(input);
                calls.Add(new ToolCall(calls.Count, id, name, block.RawText("input"), arguments, error));
            }
        }

        // The objects of the list response[key] whose "type" is the one asked for, each
        // with where it stands (for error messages); every item must be an object.
        private static List<KeyValuePair<string, JsonObject>> ItemsOfType(JsonObject response, string key, string type,
            string what)
        {
            IList<object> list = RequiredList(response, key, what);
            var items = new List<KeyValuePair<string, JsonObject>>();
            for (int i = 0; i < list.Count; i++)
            {
                string where = key + "[" + i + "]";
                var item = list[i] as JsonObject;
                if (item == null) throw Shape(where + " is not an object");
                if (JsonFields.String(item, "type") == type) items.Add(new KeyValuePair<string, JsonObject>(where, item));
            }
            return items;
        }

        // Arguments sent as JSON text: kept as sent, read to find out whether they are usable.
        // An empty text is no arguments, as some models send for a tool without parameters.
        private static ToolCall FromText(int position, string id, string name, JsonObject holder, string key)
        {
            object value;
            holder.TryGetValue(key, out value);
            var text = value as string;
            if (text == null)
            {
                string sent = value == null ? "no \"" + key + "\" text was sent" : "\"" + key + "\" must be a string of JSON, got " + Kind(value);
                return new ToolCall(position, id, name, holder.RawText(key), null, sent);
            }
            if (text.Trim().Length == 0) return new ToolCall(position, id, name, text, (JsonObject)JsonReader.Parse("{}"), null);
            object parsed;
            try
            {
                parsed = JsonReader.Parse(text);
            }
            catch (FormatException e)
            {
                return new ToolCall(position, id, name, text, null, "the arguments are not valid JSON (" + e.Message + ")");
            }
            var arguments = parsed as JsonObject;
            string error = arguments == null ? "the arguments must be a JSON object, got " + Kind(parsed) : null;
            return new ToolCall(position, id, name, text, arguments, error);
        }

        internal static JsonObject ParseObject(string json, string what)
        {
            object parsed;
            try
            {
                parsed = JsonReader.Parse(json);
            }
            catch (FormatException e)
            {
                throw new FormatException(what + " is not JSON: " + e.Message, e);
            }
            var o = parsed as JsonObject;
            if (o == null) throw new FormatException(what + " must be a JSON object, got " + Kind(parsed));
            return o;
        }

        private static IList<object> RequiredList(JsonObject o, string key, string what)
        {
            object v;
            if (!o.TryGetValue(key, out v) || !(v is List<object>))
                throw Shape(what + " has no \"" + key + "\" list" + (v == null ? "" : " (got " + Kind(v) + ")"));
            return (List<object>)v;
        }

        private static IList<object> OptionalList(JsonObject o, string key, string where)
        {
            object v;
            if (!o.TryGetValue(key, out v) || v == null) return new List<object>();
            var list = v as List<object>;
            if (list == null) throw Shape(where + "." + key + " must be a list, got " + Kind(v));
            return list;
        }

        private static string RequiredString(JsonObject o, string key, string where)
        {
            object v;
            o.TryGetValue(key, out v);
            var s = v as string;
            if (string.IsNullOrEmpty(s)) throw Shape(where + " has no \"" + key + "\" string");
            return s;
        }

        internal static string Kind(object value)
        {
            if (value == null) return "null";
            if (value is string) return "a string";
            if (value is bool) return "a boolean";
            if (value is List<object>) return "a list";
            if (value is JsonObject) return "an object";
            return "a number";
        }

        private static FormatException Shape(string what)
        {
            return new FormatException("not a tool-calling response: " + what);
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using AuraGuard;
using AuraGuard.Providers;

namespace AuraGuard.Tests
{
    /// <summary>The recorded provider responses under tests/fixtures/providers, and readers
    /// for the messages the helpers write.</summary>
    internal static class ProviderFixtures
    {
        public static readonly ProviderFormat[] Formats =
        {
            ProviderFormat.OpenAIChat, ProviderFormat.OpenAIResponses, ProviderFormat.AnthropicMessages,
        };

        /// <summary>The fixture "<paramref name="scenario"/>" (parallel, repeat, malformed, text) in <paramref name="format"/>.</summary>
        public static string Load(ProviderFormat format, string scenario)
        {
            return File.ReadAllText(Path.Combine(Directory(), Prefix(format) + "_" + scenario + ".json"));
        }

        private static string Prefix(ProviderFormat format)
        {
            switch (format)
            {
                case ProviderFormat.OpenAIChat: return "openai_chat";
                case ProviderFormat.OpenAIResponses: return "openai_responses";
                default: return "anthropic_messages";
            }
        }

        // The tests run from build/csharp; the fixtures live in the repository above it.
        private static string Directory()
        {
            string dir = AppDomain.CurrentDomain.BaseDirectory;
            while (dir != null)
            {
                string candidate = Path.Combine(dir, "tests", "fixtures", "providers");
                if (System.IO.Directory.Exists(candidate)) return candidate;
                dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar));
            }
            throw new DirectoryNotFoundException("tests/fixtures/providers not found above " +
                AppDomain.CurrentDomain.BaseDirectory);
        }

        /// <summary>The tool results of a turn as (id, text, is_error), whatever the format.</summary>
        public static List<Result> Results(ProviderFormat format, IList<string> messages)
        {
            var results = new List<Result>();
            if (format == ProviderFormat.AnthropicMessages)
            {
                if (messages.Count == 0) return results;
                if (messages.Count != 1) throw new InvalidOperationException("Messages answers a turn with one user message");
                var message = (JsonObject)JsonReader.Parse(messages[0]);
                if ((string)message["role"] != "user") throw new InvalidOperationException("not a user message: " + messages[0]);
                foreach (object block in (List<object>)message["content"])
                {
                    var b = (JsonObject)block;
                    if ((string)b["type"] != "tool_result") throw new InvalidOperationException("not a tool_result: " + b);
                    results.Add(new Result((string)b["tool_use_id"], (string)b["content"], (bool)b["is_error"]));
                }
                return results;
            }
            foreach (string json in messages)
            {
                var m = (JsonObject)JsonReader.Parse(json);
                if (format == ProviderFormat.OpenAIChat)
                {
                    if ((string)m["role"] != "tool" || m.Count != 3) throw new InvalidOperationException("not a tool message: " + json);
                    results.Add(new Result((string)m["tool_call_id"], (string)m["content"], null));
                }
                else
                {
                    if ((string)m["type"] != "function_call_output" || m.Count != 3)
                        throw new InvalidOperationException("not a function_call_output: " + json);
                    results.Add(new Result((string)m["call_id"], (string)m["output"], null));
                }
            }
            return results;
        }

        internal sealed class Result
        {
            public Result(string id, string text, bool? isError)
            {
                Id = id;
                Text = text;
                IsError = isError;
            }

            public string Id { get; private set; }
            public string Text { get; private set; }

            /// <summary>Only Messages carries the flag; null for the OpenAI formats.</summary>
            public bool? IsError { get; private set; }
        }
    }
}

using System;
using System.Collections.Generic;
using NUnit.Framework;
using AuraGuard;
using AuraGuard.Providers;

namespace AuraGuard.Tests
{
    /// <summary>Reading tool calls and text out of the three provider formats, and the messages written back.</summary>
    [TestFixture]
    public class ProviderReadingTests
    {
        [Test]
        public void ParallelCallsAreReadInOrderWithTheIdsEachFormatAnswersTo()
        {
            var ids = new Dictionary<ProviderFormat, string[]>
            {
                { ProviderFormat.OpenAIChat, new[] { "call_7fGq2LmXo0aRtY4kUe1sWb9H", "call_Qn3vB8sKd5jPzE2cHa6mTr0L", "call_Wk9eJ1tFy4uNcS7oRm2xVg5D" } },
                // Responses: the call_id, not the item's fc_ id.
                { ProviderFormat.OpenAIResponses, new[] { "call_7fGq2LmXo0aRtY4kUe1sWb9H", "call_Qn3vB8sKd5jPzE2cHa6mTr0L", "call_Wk9eJ1tFy4uNcS7oRm2xVg5D" } },
                { ProviderFormat.AnthropicMessages, new[] { "toolu_01A09q90qw90lq917835lq9a", "toolu_01B18r81rx81mr826724mr8b", "toolu_01C27s72sy72ns735613ns7c" } },
            };
            foreach (ProviderFormat format in ProviderFixtures.Formats)
            {
                IList<ToolCall> calls = ProviderMessages.ReadToolCalls(format, ProviderFixtures.Load(format, "parallel"));
                Assert.AreEqual(3, calls.Count, format.ToString());
                CollectionAssert.AreEqual(ids[format], new[] { calls[0].Id, calls[1].Id, calls[2].Id }, format.ToString());
                CollectionAssert.AreEqual(new[] { "get_order", "search_kb", "get_shipping" },
                    new[] { calls[0].Name, calls[1].Name, calls[2].Name }, format.ToString());
                Assert.AreEqual(new[] { 0, 1, 2 }, new[] { calls[0].Position, calls[1].Position, calls[2].Position });
                Assert.AreEqual("refund policy", calls[1].Arguments["query"], format.ToString());
                Assert.IsNull(calls[1].ArgumentsError);
            }
        }

        [Test]
        public void ArgumentsAreKeptAsTheTextTheProviderSent()
        {
            Assert.AreEqual("{\"order_id\":\"A1\"}",
                ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, ProviderFixtures.Load(ProviderFormat.OpenAIChat, "parallel"))[0].ArgumentsJson);
            Assert.AreEqual("{\"order_id\":\"A1\"}",
                ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIResponses, ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "parallel"))[0].ArgumentsJson);
            // Messages sends an object: its text, spacing and all.
            Assert.AreEqual("{\"order_id\": \"A1\"}",
                ProviderMessages.ReadToolCalls(ProviderFormat.AnthropicMessages, ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "parallel"))[0].ArgumentsJson);
        }

        [Test]
        public void MalformedArgumentsAreAnErrorOfTheirCallOnly()
        {
            foreach (ProviderFormat format in ProviderFixtures.Formats)
            {
                IList<ToolCall> calls = ProviderMessages.ReadToolCalls(format, ProviderFixtures.Load(format, "malformed"));
                Assert.AreEqual(2, calls.Count, format.ToString());
                Assert.IsNull(calls[0].ArgumentsError, format.ToString());
                Assert.AreEqual("A1", calls[0].Arguments["order_id"]);
                Assert.AreEqual("refund", calls[1].Name);
                Assert.IsNull(calls[1].Arguments);
                string expected = format == ProviderFormat.AnthropicMessages
                    ? "\"input\" must be a JSON object, got a string" : "the arguments are not valid JSON";
                StringAssert.StartsWith(expected, calls[1].ArgumentsError, format.ToString());
            }
        }

        [Test]
        public void ArgumentsThatAreJsonButNotAnObjectAreAnErrorToo()
        {
            string response = Chat("{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_order\",\"arguments\":\"[1,2]\"}}," +
                "{\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"list_orders\",\"arguments\":\"\"}}");
            IList<ToolCall> calls = ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, response);
            Assert.AreEqual("the arguments must be a JSON object, got a list", calls[0].ArgumentsError);
            // An empty text is a call without arguments.
            Assert.IsNull(calls[1].ArgumentsError);
            Assert.AreEqual(0, calls[1].Arguments.Count);
        }

        [Test]
        public void ATextOnlyResponseHasNoCallsAndItsTextIsRead()
        {
            foreach (ProviderFormat format in ProviderFixtures.Formats)
            {
                string response = ProviderFixtures.Load(format, "text");
                Assert.AreEqual(0, ProviderMessages.ReadToolCalls(format, response).Count, format.ToString());
                Assert.AreEqual("I'm sorry for the delay, I'm still checking.", ProviderMessages.AssistantText(format, response));
            }
            Assert.IsNull(ProviderMessages.AssistantText(ProviderFormat.OpenAIChat,
                ProviderFixtures.Load(ProviderFormat.OpenAIChat, "parallel")));
            // A reasoning item and a text block are not calls; the text is read.
            Assert.AreEqual(3, ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIResponses,
                ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "parallel")).Count);
            Assert.IsNull(ProviderMessages.AssistantText(ProviderFormat.OpenAIResponses,
                ProviderFixtures.Load(ProviderFormat.OpenAIResponses, "parallel")));
            Assert.AreEqual("I'll look up the order, the refund policy and the shipment.", ProviderMessages.AssistantText(
                ProviderFormat.AnthropicMessages, ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "parallel")));
        }

        [Test]
        public void AResponseOfTheWrongShapeSaysWhatIsMissing()
        {
            var notJson = Assert.Throws<FormatException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, "{\"choices\":"));
            StringAssert.StartsWith("the response is not JSON", notJson.Message);
            var array = Assert.Throws<FormatException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, "[]"));
            Assert.AreEqual("the response must be a JSON object, got a list", array.Message);
            // A Messages response read as a Chat Completions one.
            var wrong = Assert.Throws<FormatException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat,
                ProviderFixtures.Load(ProviderFormat.AnthropicMessages, "parallel")));
            StringAssert.Contains("has no \"choices\" list", wrong.Message);
            var noId = Assert.Throws<FormatException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat,
                Chat("{\"type\":\"function\",\"function\":{\"name\":\"get_order\",\"arguments\":\"{}\"}}")));
            StringAssert.Contains("choices[0].message.tool_calls[0] has no \"id\" string", noId.Message);
            var noCallId = Assert.Throws<FormatException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIResponses,
                "{\"output\":[{\"type\":\"function_call\",\"id\":\"fc_1\",\"name\":\"x\",\"arguments\":\"{}\"}]}"));
            StringAssert.Contains("output[0] has no \"call_id\" string", noCallId.Message);
            Assert.Throws<ArgumentNullException>(() => ProviderMessages.ReadToolCalls(ProviderFormat.OpenAIChat, null));
        }

        [Test]
        public void EachFormatAnswersACallInItsOwnShape()
        {
            foreach (ProviderFormat format in ProviderFixtures.Formats)
            {
                ToolCall call = ProviderMessages.ReadToolCalls(format, ProviderFixtures.Load(format, "parallel"))[0];
                var m = (JsonObject)JsonReader.Parse(ProviderMessages.ToolResult(format, call, "say \"hi\"\n", true));
                switch (format)
                {
                    case ProviderFormat.OpenAIChat:
                        CollectionAssert.AreEqual(new[] { "role", "tool_call_id", "content" }, m.Keys);
                        Assert.AreEqual("tool", m["role"]);
                        Assert.AreEqual(call.Id, m["tool_call_id"]);
                        Assert.AreEqual("say \"hi\"\n", m["content"]);
                        break;
                    case ProviderFormat.OpenAIResponses:
                        CollectionAssert.AreEqual(new[] { "type", "call_id", "output" }, m.Keys);
                        Assert.AreEqual("function_call_output", m["type"]);
                        Assert.AreEqual(call.Id, m["call_id"]);
                        Assert.AreEqual("say \"hi\"\n", m["output"]);
                        break;
                    default:
                        CollectionAssert.AreEqual(new[] { "type", "tool_use_id", "content", "is_error" }, m.Keys);
                        Assert.AreEqual("tool_result", m["type"]);
                        Assert.AreEqual(call.Id, m["tool_use_id"]);
                        Assert.AreEqual(true, m["is_error"]);
                        break;
                }
            }
        }

        [Test]
        public void TheRewriteTextBecomesAnInstructionInEachFormat()
        {
            Assert.AreEqual("{\"role\":\"system\",\"content\":\"Stop.\"}", ProviderMessages.SystemMessage(ProviderFormat.OpenAIChat, "Stop."));
            Assert.AreEqual("{\"role\":\"developer\",\"content\":\"Stop.\"}",
                ProviderMessages.SystemMessage(ProviderFormat.OpenAIChat, "Stop.", "developer"));
            Assert.AreEqual("{\"type\":\"message\",\"role\":\"developer\",\"content\":\"Stop.\"}",
                ProviderMessages.SystemMessage(ProviderFormat.OpenAIResponses, "Stop."));
            Assert.AreEqual("{\"type\":\"text\",\"text\":\"Stop.\"}", ProviderMessages.SystemMessage(ProviderFormat.AnthropicMessages, "Stop."));
        }

        internal static string Chat(string toolCalls)
        {
            return "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + toolCalls +
                "]},\"finish_reason\":\"tool_calls\"}]}";
        }
    }
}

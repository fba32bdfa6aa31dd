using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>
    /// Text on its way to the library and back: tool names, arguments, tickets, payloads
    /// and messages reach the engine as the UTF-8 <see cref="Encoding.UTF8"/> writes,
    /// whatever their characters, wherever those stand and however long the text is, and
    /// a NUL is refused before anything is checked or booked.
    /// </summary>
    [TestFixture]
    public class TextCrossingTests
    {
        private const string Config =
            "{\"secret_key\":\"k\",\"run_id\":\"r\",\"max_json_bytes\":10000000,\"max_text_bytes\":10000000," +
            "\"side_effect_max_executed_per_run\":100000,\"max_calls_per_tool\":100000}";

        /// <summary>ASCII around the 8-character steps the encoder takes, characters of 2, 3
        /// and 4 UTF-8 bytes and a lone surrogate at each position near them, and text
        /// longer than the buffers a thread keeps. RawJsonBytesTests sends them as bytes.</summary>
        internal static List<string> Texts()
        {
            var texts = new List<string>();
            foreach (int n in new[] { 0, 1, 7, 8, 9, 15, 16, 17 }) texts.Add(new string('a', n));
            foreach (string odd in new[] { "\u00e9", "\u65e5", "\ud83d\ude00", "\ud800", "\u007f\u0080" })
            {
                foreach (int at in new[] { 0, 1, 7, 8, 9, 15, 16 })
                    texts.Add(new string('a', at) + odd + new string('b', 9));
            }
            texts.Add(new string('x', 70000));
            texts.Add(new string('\u65e5', 30000));
            texts.Add(new string('x', 69999) + "\u00e9");
            return texts;
        }

        [Test]
        public void EveryTextReachesTheEngineAndComesBackAsTheJsonApiSeesIt()
        {
            using (var guard = Guard.FromJson(Config))
            using (var twin = new EngineTwin(Config))
            {
                int i = 0;
                foreach (string text in Texts())
                {
                    // Names and tickets have a limit of their own (1 KB); arguments and
                    // payloads take the whole text.
                    string name = text.Length > 200 ? text.Substring(0, 200) : text;
                    string tool = "t" + i++ + "_" + name;
                    string ticket = text.Length == 0 ? null : "T" + name;
                    string args = "{\"v\":" + JsonWriter.ToJson(text) + "}";
                    string payload = JsonWriter.ToJson(text);

                    // Allowed as a side effect: its idempotency key signs the tool, the
                    // arguments and the ticket, so equal keys mean equal bytes.
                    Decision first = guard.CheckTool(tool, new RawJson(args), ticket, true);
                    string firstJson = twin.Check(tool, args, ticket, 1);
                    Assert.AreEqual(firstJson, first.Json, "text #" + (i - 1));
                    guard.RecordResult(true, new RawJson(payload), callId: first.CallId);
                    twin.Record("{\"ok\":true,\"payload\":" + payload + ",\"call_id\":" + first.CallId + "}");

                    // Its replay carries the payload back.
                    Decision replay = guard.CheckTool(tool, new RawJson(args), ticket, true);
                    Assert.AreEqual(GuardAction.Cache, replay.Action, "text #" + (i - 1));
                    Assert.AreEqual(twin.Check(tool, args, ticket, 1), replay.Json, "text #" + (i - 1));
                    Assert.AreEqual(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)),
                        (string)replay.CachedResult.Payload, "text #" + (i - 1));
                }
            }
        }

        [Test]
        public void AToolNameThatIsNotAsciiIsTheNameTheReportUses()
        {
            using (var guard = TestSupport.NewGuard(c => c.RepeatToolcallThreshold = 2))
            {
                const string tool = "\u00fcberpr\u00fcfe_\u8ba2\u5355_\ud83d\ude00";
                for (int i = 0; i < 3; i++) TestSupport.CheckAndRecordOk(guard, tool, TestSupport.Args("id", 1));
                var byTool = (JsonObject)guard.ReportData()["by_tool"];
                Assert.IsTrue(byTool.ContainsKey(tool));
            }
        }

        [Test]
        public void AMessageOfAnyLengthAndAlphabetIsChecked()
        {
            using (var guard = TestSupport.NewGuard(c => c.MaxTextBytes = 10000000))
            {
                foreach (string text in Texts())
                    guard.CheckOutput("Your order ships today. " + text);
            }
        }

        [Test]
        public void ANulAnywhereIsRefusedAndNothingIsCheckedOrBooked()
        {
            var places = new List<string>();
            foreach (int at in new[] { 0, 5, 9, 17 })
            {
                places.Add(new string('a', at) + "\0" + new string('b', 20));
                places.Add("\u00e9" + new string('a', at) + "\0" + "b");
            }
            places.Add(new string('x', 70000) + "\0");
            places.Add(new string('\u65e5', 30000) + "\0");

            using (var guard = TestSupport.NewGuard())
            {
                foreach (string bad in places)
                {
                    AssertRefused("tool", () => guard.CheckTool(bad, null));
                    AssertRefused("args", () => guard.CheckTool("get_order", new RawJson("{\"a\":\"" + bad + "\"}")));
                    AssertRefused("ticketId", () => guard.CheckTool("get_order", null, bad));
                    AssertRefused("text", () => guard.CheckOutput(bad));
                }
                Assert.AreEqual(0, guard.Stats().ToolCallsExecuted);
                Assert.AreEqual(0, guard.Stats().PendingCalls);

                Decision d = guard.CheckTool("get_order", TestSupport.Args("id", 1));
                foreach (string bad in places)
                {
                    AssertRefused("payload", () => guard.RecordResult(true, new RawJson("\"" + bad + "\""), callId: d.CallId));
                    AssertRefused("errorCode", () => guard.RecordResult(false, null, bad, callId: d.CallId));
                }
                Assert.AreEqual(1, guard.Stats().PendingCalls);
                guard.RecordResult(true, "ok", callId: d.CallId);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
            }
        }

        private static void AssertRefused(string parameter, TestDelegate call)
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.AreEqual(parameter, e.ParamName);
        }
    }
}

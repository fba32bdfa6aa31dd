using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>
    /// <see cref="RawJson"/> made from UTF-8 bytes: the engine sees exactly those bytes,
    /// as it sees a string's UTF-8; the bytes are the caller's no longer once given;
    /// bytes that are not UTF-8 or hold a NUL are refused when the RawJson is made, and
    /// bytes that are not JSON by the engine, with nothing booked.
    /// </summary>
    [TestFixture]
    public class RawJsonBytesTests
    {
        private const string Config =
            "{\"secret_key\":\"k\",\"run_id\":\"r\",\"max_json_bytes\":10000000," +
            "\"side_effect_max_executed_per_run\":100000,\"max_calls_per_tool\":100000}";

        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        [Test]
        public void BytesReachTheEngineAsTheJsonApiSeesTheirText()
        {
            using (var guard = Guard.FromJson(Config))
            using (var twin = new EngineTwin(Config))
            {
                int i = 0;
                foreach (string text in TextCrossingTests.Texts())
                {
                    string tool = "t" + i++;
                    // Unsorted keys and spaces: the engine's canonical form, not the
                    // bytes' order, must decide.
                    string args = "{\"v\": " + JsonWriter.ToJson(text) + ", \"a\": 1}";
                    string payload = "{\"z\": [1, 2.50], \"text\": " + JsonWriter.ToJson(text) + "}";

                    // A side effect: its idempotency key signs the arguments' canonical
                    // bytes, so equal JSON means the engine read the same text.
                    Decision first = guard.CheckTool(tool, new RawJson(Utf8.GetBytes(args)), "T-1", true);
                    Assert.AreEqual(twin.Check(tool, args, "T-1", 1), first.Json, "text #" + (i - 1));
                    guard.RecordResult(true, new RawJson(Utf8.GetBytes(payload)), callId: first.CallId);
                    twin.Record("{\"ok\":true,\"payload\":" + payload + ",\"call_id\":" + first.CallId + "}");

                    Decision replay = guard.CheckTool(tool, new RawJson(Utf8.GetBytes(args)), "T-1", true);
                    Assert.AreEqual(GuardAction.Cache, replay.Action, "text #" + (i - 1));
                    Assert.AreEqual(twin.Check(tool, args, "T-1", 1), replay.Json, "text #" + (i - 1));
                }
            }
        }

        [Test]
        public void BytesAndTheirStringAreOneCall()
        {
            const string config = "{\"secret_key\":\"k\",\"run_id\":\"r\",\"side_effect_tools\":[\"refund\"]}";
            const string args = "{\"order_id\":\"A-\u00e9\",\"amount\":5}";
            const string reordered = "{\"amount\":5,\"order_id\":\"A-\u00e9\"}";
            using (var fromBytes = Guard.FromJson(config))
            using (var fromString = Guard.FromJson(config))
            {
                Decision a = fromBytes.CheckTool("refund", new RawJson(Utf8.GetBytes(args)));
                Decision b = fromString.CheckTool("refund", new RawJson(reordered));
                Assert.AreEqual(GuardAction.Allow, a.Action);
                Assert.IsNotNull(a.IdempotencyKey);
                Assert.AreEqual(b.IdempotencyKey, a.IdempotencyKey);
                fromBytes.RecordResult(true, new RawJson(Utf8.GetBytes("{\"refund_id\":\"R-1\"}")), callId: a.CallId);

                // The same refund asked again as a string is not made twice.
                Decision again = fromBytes.CheckTool("refund", new RawJson(reordered));
                Assert.AreNotEqual(GuardAction.Allow, again.Action);
                Assert.AreEqual(1, fromBytes.Stats().ToolCallsExecuted);
            }
        }

        [Test]
        public void TheBytesAreCopiedWhenTheRawJsonIsMade()
        {
            using (var guard = TestSupport.NewGuard(c => c.RepeatToolcallThreshold = 2))
            {
                byte[] payload = Utf8.GetBytes("{\"status\":\"shipped\"}");
                var raw = new RawJson(payload);
                // The caller reuses its buffer before the guard reads the RawJson.
                Array.Copy(Utf8.GetBytes("{\"status\":\"mislaid\"}"), payload, payload.Length);

                for (int k = 0; k < 2; k++)
                {
                    Decision d = guard.CheckTool("get_order", TestSupport.Args("order_id", "A-1"));
                    guard.RecordResult(true, raw, callId: d.CallId);
                }
                Decision hit = guard.CheckTool("get_order", TestSupport.Args("order_id", "A-1"));
                Assert.AreEqual(GuardAction.Cache, hit.Action);
                Assert.AreEqual("{\"status\":\"shipped\"}", hit.CachedResult.PayloadJson);
                Assert.AreEqual("{\"status\":\"shipped\"}", raw.Json);
            }
        }

        [Test]
        public void AnOffsetAndACountTakeThatSlice()
        {
            byte[] buffer = Utf8.GetBytes("xx{\"k\":\"\u65e5\"}yy");
            var raw = new RawJson(buffer, 2, buffer.Length - 4);
            Assert.AreEqual("{\"k\":\"\u65e5\"}", raw.Json);
            Assert.AreEqual("{\"k\":\"\u65e5\"}", raw.ToString());
            using (var guard = TestSupport.NewGuard())
            {
                Decision d = guard.CheckTool("lookup", raw);
                Assert.AreEqual(GuardAction.Allow, d.Action);
                guard.RecordResult(true, raw, callId: d.CallId);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
            Assert.AreEqual("", new RawJson(buffer, buffer.Length, 0).Json);
        }

        [Test]
        public void BadArgumentsToTheConstructorAreRefused()
        {
            var nul = Assert.Throws<ArgumentNullException>(() => new RawJson((byte[])null));
            Assert.AreEqual("utf8Json", nul.ParamName);
            var offset = Assert.Throws<ArgumentOutOfRangeException>(() => new RawJson(new byte[4], 5, 0));
            Assert.AreEqual("offset", offset.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => new RawJson(new byte[4], -1, 1));
            var count = Assert.Throws<ArgumentOutOfRangeException>(() => new RawJson(new byte[4], 1, 4));
            Assert.AreEqual("count", count.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => new RawJson(new byte[4], 0, -1));
        }

        [Test]
        public void BytesThatAreNotUtf8OrHoldANulAreRefusedWhenMade()
        {
            var notUtf8 = new[]
            {
                new byte[] { 0x22, 0xff, 0x22 },                     // never in UTF-8
                new byte[] { 0x22, 0xc0, 0xaf, 0x22 },               // an overlong '/'
                new byte[] { 0x22, 0xed, 0xa0, 0x80, 0x22 },         // a surrogate
                new byte[] { 0x22, 0xe6, 0x97 },                     // cut short
                new byte[] { 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22 },   // above U+10FFFF
                Concat(new string('a', 9), new byte[] { 0x80 }),     // after an 8-byte step
            };
            foreach (byte[] bytes in notUtf8)
            {
                var e = Assert.Throws<ArgumentException>(() => new RawJson(bytes), BitConverter.ToString(bytes));
                Assert.AreEqual("utf8Json", e.ParamName);
                StringAssert.Contains("not UTF-8", e.Message);
            }
            foreach (byte[] bytes in new[]
            {
                new byte[] { 0x00 }, Concat("{\"k\":\"", new byte[] { 0x00, 0x22, 0x7d }),
                Concat(new string('a', 16), new byte[] { 0x00 }), Concat("\u00e9", new byte[] { 0x00 }),
            })
            {
                var e = Assert.Throws<ArgumentException>(() => new RawJson(bytes), BitConverter.ToString(bytes));
                StringAssert.Contains("NUL byte", e.Message);
            }
        }

        [Test]
        public void BytesThatAreNotJsonAreRefusedAndBookNothing()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var notJson = new RawJson(Utf8.GetBytes("{\"order_id\": "));
                var e = Assert.Throws<AuraGuardException>(() => guard.CheckTool("get_order", notJson));
                Assert.AreEqual(GuardStatus.InvalidArgument, e.Status);
                Assert.AreEqual(0, guard.Stats().PendingCalls);

                Decision d = guard.CheckTool("get_order", new RawJson(Utf8.GetBytes("{\"order_id\":\"A-1\"}")));
                foreach (byte[] bad in new[] { Utf8.GetBytes("[1,"), new byte[0] })
                {
                    e = Assert.Throws<AuraGuardException>(() => guard.RecordResult(true, new RawJson(bad), callId: d.CallId));
                    Assert.AreEqual(GuardStatus.InvalidArgument, e.Status);
                    // The same text as a string fails alike.
                    var same = Assert.Throws<AuraGuardException>(() =>
                        guard.RecordResult(true, new RawJson(Utf8.GetString(bad)), callId: d.CallId));
                    Assert.AreEqual(e.Message, same.Message);
                }
                // The call still awaits its result.
                Assert.AreEqual(1, guard.Stats().PendingCalls);
                guard.RecordResult(true, new RawJson(Utf8.GetBytes("{\"status\":\"shipped\"}")), callId: d.CallId);
                Assert.AreEqual(0, guard.Stats().PendingCalls);
                Assert.AreEqual(1, guard.Stats().ToolCallsExecuted);
            }
        }

        private static byte[] Concat(string head, byte[] tail)
        {
            byte[] h = Utf8.GetBytes(head);
            var all = new byte[h.Length + tail.Length];
            Buffer.BlockCopy(h, 0, all, 0, h.Length);
            Buffer.BlockCopy(tail, 0, all, h.Length, tail.Length);
            return all;
        }
    }
}

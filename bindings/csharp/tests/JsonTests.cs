using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>The binding's own JSON writer and reader.</summary>
    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void StringsAreEscaped()
        {
            Assert.AreEqual("\"a\\\"b\\\\c\"", JsonWriter.ToJson("a\"b\\c"));
            Assert.AreEqual("\"l1\\nl2\\r\\t\\b\\f\"", JsonWriter.ToJson("l1\nl2\r\t\b\f"));
            Assert.AreEqual("\"\\u0000\\u001f\\u2028\"", JsonWriter.ToJson("\u0000\u001f\u2028"));
            Assert.AreEqual("\"caf\u00e9 \ud83d\ude00 </script>\"", JsonWriter.ToJson("caf\u00e9 \ud83d\ude00 </script>"));
        }

        [Test]
        public void EscapedStringsRoundTripThroughTheReader()
        {
            string tricky = "quote\" backslash\\ nl\n tab\t nul\u0000 bell\u0007 emoji\ud83d\ude00 \u00fc";
            Assert.AreEqual(tricky, JsonReader.Parse(JsonWriter.ToJson(tricky)));
        }

        [Test]
        public void TheEngineAcceptsEscapedArgumentsAndSignsThemByValue()
        {
            using (var guard = TestSupport.NewGuard())
            {
                var args = new Dictionary<string, object> { { "q\"\\\n", "v\u0001\ud83d\ude00" } };
                for (int i = 0; i < 2; i++) TestSupport.CheckAndRecordOk(guard, "get_doc", args);
                // The same escaped text is the same call: the third is a loop.
                Assert.AreEqual(GuardAction.Cache, guard.CheckTool("get_doc", args).Action);
            }
        }

        [Test]
        public void NumbersAreCultureInvariant()
        {
            CultureInfo saved = Thread.CurrentThread.CurrentCulture;
            try
            {
                Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE");
                Assert.AreEqual("[1.5,-2,0.1,3000000000,12.25,1E+20]",
                    JsonWriter.ToJson(new object[] { 1.5, -2, 0.1, 3000000000L, 12.25m, 1e20 }));
                Assert.AreEqual(1.5, JsonReader.Parse("1.5"));
            }
            finally
            {
                Thread.CurrentThread.CurrentCulture = saved;
            }
        }

        [Test]
        public void NonFiniteNumbersAreRefused()
        {
            Assert.Throws<ArgumentException>(() => JsonWriter.ToJson(double.NaN));
            Assert.Throws<ArgumentException>(() => JsonWriter.ToJson(new { x = double.PositiveInfinity }));
        }

        [Test]
        public void ObjectsDictionariesListsAndScalarsAreWritten()
        {
            var value = new
            {
                name = "n",
                flag = true,
                nothing = (object)null,
                list = new List<int> { 1, 2 },
                arr = new[] { "a" },
                map = new Dictionary<string, object> { { "k", false } },
                raw = new RawJson("{\"pre\":[1]}"),
                when = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc),
                kind = GuardAction.Block,
            };
            Assert.AreEqual("{\"name\":\"n\",\"flag\":true,\"nothing\":null,\"list\":[1,2],\"arr\":[\"a\"]," +
                "\"map\":{\"k\":false},\"raw\":{\"pre\":[1]},\"when\":\"2024-05-01T00:00:00.0000000Z\",\"kind\":\"Block\"}",
                JsonWriter.ToJson(value));
        }

        [Test]
        public void ACycleIsAnErrorNotAStackOverflow()
        {
            var list = new List<object>();
            list.Add(list);
            Assert.Throws<ArgumentException>(() => JsonWriter.ToJson(list));
        }

        [Test]
        public void TheReaderReadsEveryKindOfValue()
        {
            var o = (JsonObject)JsonReader.Parse(
                " {\"s\":\"a\\u00e9\\ud83d\\ude00\\/\",\"i\":-7,\"u\":18446744073709551615,\"d\":2.5e3," +
                "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[2]],\"o\":{\"x\" : 1}} ");
            Assert.AreEqual("a\u00e9\ud83d\ude00/", o["s"]);
            Assert.AreEqual(-7L, o["i"]);
            Assert.AreEqual(ulong.MaxValue, o["u"]);
            Assert.AreEqual(2500.0, o["d"]);
            Assert.AreEqual(true, o["t"]);
            Assert.AreEqual(false, o["f"]);
            Assert.IsNull(o["n"]);
            Assert.AreEqual(2, ((List<object>)o["a"]).Count);
            Assert.AreEqual("{\"x\" : 1}", o.RawText("o"));
            Assert.IsNull(o.RawText("missing"));
        }

        [TestCase("")]
        [TestCase("{")]
        [TestCase("{\"a\" 1}")]
        [TestCase("[1,]")]
        [TestCase("\"unterminated")]
        [TestCase("01x")]
        [TestCase("tru")]
        [TestCase("{} {}")]
        [TestCase("\"bad \\q escape\"")]
        public void MalformedTextIsAFormatException(string text)
        {
            Assert.Throws<FormatException>(() => JsonReader.Parse(text));
        }
    }
}

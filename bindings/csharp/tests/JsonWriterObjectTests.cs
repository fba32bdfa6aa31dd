using System;
using System.Collections;
using System.Collections.Generic;
using System.Reflection;
using System.Threading;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>
    /// Objects and maps through the JSON writer: the members a type's JSON has are found
    /// once per type, and every kind of object, map and getter writes as it always did.
    /// </summary>
    [TestFixture]
    public class JsonWriterObjectTests
    {
        public class Base
        {
            public string Inherited { get { return "b"; } }
            public virtual int Overridden { get { return 1; } }
        }

        public class Derived : Base
        {
            public override int Overridden { get { return 2; } }
            public string Own { get; set; }
            public string WriteOnly { set { } }
            public string PrivateGetter { private get; set; }
            public static string Static { get { return "no"; } }
            public string this[int i] { get { return "no"; } }
            public double Field = 0.5;
            public static int StaticField = 9;
        }

        public struct Point
        {
            public int X { get; set; }
            public int Y;
        }

        public class Throwing
        {
            public string Fine { get { return "ok"; } }
            public string Broken { get { throw new InvalidOperationException("broken getter"); } }
        }

        public class WritesJsonInItsGetter
        {
            public string Inner { get { return JsonWriter.ToJson(new { nested = new[] { 1, 2 } }); } }
            public int After { get { return 3; } }
        }

        [Test]
        public void AClassWritesItsReadablePropertiesThenItsFieldsInheritedOnesIncluded()
        {
            var d = new Derived { Own = "o\u00e9\"", PrivateGetter = "p" };
            string json = JsonWriter.ToJson(d);
            // The members and the values are those of the object written, whichever
            // type declares them; write-only, static and indexed properties are left out.
            var o = (JsonObject)JsonReader.Parse(json);
            Assert.AreEqual(2L, o["Overridden"]);
            Assert.AreEqual("o\u00e9\"", o["Own"]);
            Assert.AreEqual("p", o["PrivateGetter"]);
            Assert.AreEqual("b", o["Inherited"]);
            Assert.AreEqual(0.5, o["Field"]);
            Assert.AreEqual(5, o.Count);
            Assert.IsTrue(json.EndsWith(",\"Field\":0.5}"), json);
            // Written twice, the same text (the second time from what the first found).
            Assert.AreEqual(json, JsonWriter.ToJson(d));
        }

        [Test]
        public void AStructIsWrittenLikeAClass()
        {
            Assert.AreEqual("{\"X\":1,\"Y\":2}", JsonWriter.ToJson(new Point { X = 1, Y = 2 }));
            Assert.AreEqual("[{\"X\":3,\"Y\":4}]", JsonWriter.ToJson(new[] { new Point { X = 3, Y = 4 } }));
        }

        [Test]
        public void AGetterThatThrowsSurfacesAsReflectionWouldReportIt()
        {
            for (int i = 0; i < 2; i++)
            {
                var e = Assert.Throws<TargetInvocationException>(() => JsonWriter.ToJson(new Throwing()));
                Assert.IsInstanceOf<InvalidOperationException>(e.InnerException);
                Assert.AreEqual("broken getter", e.InnerException.Message);
            }
            // The writer is still usable on this thread afterwards.
            Assert.AreEqual("{\"a\":1}", JsonWriter.ToJson(new { a = 1 }));
        }

        [Test]
        public void AGetterThatWritesJsonItselfLeavesTheOuterTextWhole()
        {
            Assert.AreEqual("{\"Inner\":\"{\\\"nested\\\":[1,2]}\",\"After\":3}", JsonWriter.ToJson(new WritesJsonInItsGetter()));
        }

        [Test]
        public void EveryKindOfMapWritesItsEntriesInItsOwnOrder()
        {
            var map = new Dictionary<string, object> { { "b", 1 }, { "a", "x\n" }, { "c", null } };
            map.Remove("b");
            map["d"] = new Dictionary<string, object> { { "e", true } };
            // A removed entry's slot is reused: the dictionary's own order puts "d" first.
            Assert.AreEqual("{\"d\":{\"e\":true},\"a\":\"x\\n\",\"c\":null}", JsonWriter.ToJson(map));

            var parsed = (JsonObject)JsonReader.Parse("{\"z\":1,\"y\":[2],\"x\":{\"w\":\"v\"}}");
            Assert.AreEqual("{\"z\":1,\"y\":[2],\"x\":{\"w\":\"v\"}}", JsonWriter.ToJson(parsed));

            var sorted = new SortedDictionary<string, object> { { "b", 2 }, { "a", 1 } };
            Assert.AreEqual("{\"a\":1,\"b\":2}", JsonWriter.ToJson(sorted));
            var table = new Hashtable { { 7, "seven" } };
            Assert.AreEqual("{\"7\":\"seven\"}", JsonWriter.ToJson(table));
            var typed = new Dictionary<string, int> { { "n", 5 } };
            Assert.AreEqual("{\"n\":5}", JsonWriter.ToJson(typed));
        }

        [Test]
        public void ManyThreadsWritingNewTypesAtOnceAllGetTheirOwnText()
        {
            var errors = new List<string>();
            var threads = new List<Thread>();
            for (int t = 0; t < 8; t++)
            {
                int thread = t;
                var worker = new Thread(() =>
                {
                    for (int i = 0; i < 200; i++)
                    {
                        object value = i % 3 == 0 ? (object)new { t = thread, i = i, s = "\u00fc" + i }
                            : i % 3 == 1 ? new Derived { Own = thread + ":" + i }
                            : (object)new Dictionary<string, object> { { "t", thread }, { "i", i } };
                        string json = JsonWriter.ToJson(value);
                        string want = i % 3 == 0 ? "{\"t\":" + thread + ",\"i\":" + i + ",\"s\":\"\u00fc" + i + "\"}"
                            : i % 3 == 1 ? "{\"Overridden\":2,\"Own\":\"" + thread + ":" + i + "\",\"PrivateGetter\":null,\"Inherited\":\"b\",\"Field\":0.5}"
                            : "{\"t\":" + thread + ",\"i\":" + i + "}";
                        if (json != want) lock (errors) errors.Add(json + " != " + want);
                    }
                });
                worker.Start();
                threads.Add(worker);
            }
            foreach (var w in threads) w.Join();
            Assert.IsEmpty(errors);
        }
    }
}

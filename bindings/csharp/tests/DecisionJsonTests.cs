using System.Collections.Generic;
using System.Globalization;
using System.Text;
using NUnit.Framework;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>
    /// Decisions the binding builds from the library's fields (allows, blocks, cache
    /// hits), whose <see cref="Decision.Json"/> is written only when asked for: the text
    /// is the engine's own, and nothing of a decision depends on the call that follows.
    /// </summary>
    [TestFixture]
    public class DecisionJsonTests
    {
        private const string Config =
            "{\"secret_key\":\"k\",\"repeat_toolcall_threshold\":2,\"max_json_bytes\":2048,\"side_effect_tools\":[\"refund\"]," +
            "\"side_effect_max_executed_per_run\":2}";

        // A payload with what JSON must escape and what it must not (non-ASCII, U+2028, DEL).
        private const string Payload =
            "{\"note\":\"na\u00efve \u2013 \u65e5\u672c \u2028 \\\"q\\\" \\\\ \\n \\u0001 \u007f \ud83d\ude00\"}";

        // An error code the same way, for a cached failure.
        private const string ErrorCode = "timeout \u2028 \"x\"\t\u0001 \u00fc";

        /// <summary>One guard through the binding, its twin through the JSON API, the same calls.</summary>
        private sealed class Twins
        {
            public readonly Guard Guard;
            public readonly EngineTwin Engine;
            public readonly List<KeyValuePair<Decision, string>> Seen = new List<KeyValuePair<Decision, string>>();

            public Twins(Guard guard, EngineTwin engine)
            {
                Guard = guard;
                Engine = engine;
            }

            public Decision Check(string tool, string args, string ticket, bool? sideEffect = null)
            {
                Decision d = Guard.CheckTool(tool, new RawJson(args), ticket, sideEffect);
                string json = Engine.Check(tool, args, ticket, sideEffect.HasValue ? (sideEffect.Value ? 1 : 0) : -1);
                Seen.Add(new KeyValuePair<Decision, string>(d, json));
                return d;
            }

            public void Record(Decision d, bool ok, string payload, string code = null, bool? executed = null)
            {
                Guard.RecordResult(ok, payload == null ? null : new RawJson(payload), code, executed, d.CallId);
                var result = new StringBuilder("{\"ok\":").Append(ok ? "true" : "false");
                if (payload != null) result.Append(",\"payload\":").Append(payload);
                if (code != null) result.Append(",\"error_code\":").Append(JsonWriter.ToJson(code));
                if (executed.HasValue) result.Append(",\"side_effect_executed\":").Append(executed.Value ? "true" : "false");
                result.Append(",\"call_id\":").Append(d.CallId.Value.ToString(CultureInfo.InvariantCulture)).Append('}');
                Engine.Record(result.ToString());
            }
        }

        [Test]
        public void EveryDecisionsJsonIsTheEnginesTextReadAfterAllTheCallsThatFollowed()
        {
            using (var guard = Guard.FromJson(Config))
            using (var engine = new EngineTwin(Config))
            {
                var t = new Twins(guard, engine);

                // A read, then the same read again: served from the cache.
                Decision read = t.Check("get_order", "{\"order_id\":\"\u00e9-1\"}", "T-1");
                Assert.AreEqual(GuardAction.Allow, read.Action);
                t.Record(read, true, Payload);
                Decision hit = t.Check("get_order", "{\"order_id\":\"\u00e9-1\"}", "T-1");
                Assert.AreEqual(GuardAction.Cache, hit.Action);
                t.Check("get_order", "{\"order_id\":\"\u00e9-1\"}", "T-1");

                // A side effect, its key and lease; its result too large to keep: the replay
                // says so, with a null payload.
                Decision big = t.Check("refund", "{\"order\":\"A2\"}", "T-1", true);
                Assert.AreEqual(32, big.IdempotencyKey.Length);
                Assert.IsTrue(big.LeaseMs.HasValue);
                t.Record(big, true, "{\"blob\":\"" + new string('x', 3000) + "\"}");
                Decision notKept = t.Check("refund", "{\"order\":\"A2\"}", "T-1", true);
                Assert.IsFalse(notKept.CachedResult.PayloadKept);
                Assert.AreEqual("null", notKept.CachedResult.PayloadJson);

                // Another that timed out after it was sent: its replay is a cached failure
                // with the error code.
                Decision refund = t.Check("refund", "{\"order\":\"A1\"}", "T-1", true);
                t.Record(refund, false, null, ErrorCode, true);
                Decision replay = t.Check("refund", "{\"order\":\"A1\"}", "T-1", true);
                Assert.AreEqual(GuardAction.Cache, replay.Action);
                Assert.AreEqual("idempotent_replay", replay.Reason);
                Assert.AreEqual(ErrorCode, replay.CachedResult.ErrorCode);

                // A denial (the tool timed out: quarantined), and a tool whose name is not ASCII.
                Assert.AreNotEqual(GuardAction.Allow, t.Check("refund", "{\"order\":\"A3\"}", "T-2", true).Action);
                Decision other = t.Check("\u8ba2\u5355_\u00e9", "{\"q\":\"\u00fc\"}", "T-1");
                t.Record(other, true, "\"\u00fcber\"");
                t.Check("\u8ba2\u5355_\u00e9", "{\"q\":\"\u00fc\"}", "T-1");

                // Later calls on this thread reuse the buffers the earlier ones were read from.
                for (int i = 0; i < 20; i++)
                    TestSupport.CheckAndRecordOk(guard, "noise", TestSupport.Args("n", new string('n', 100 * i)));

                foreach (var pair in t.Seen)
                {
                    Decision d = pair.Key;
                    Assert.AreEqual(pair.Value, d.Json);
                    Decision parsed = Decision.Parse(pair.Value);
                    Assert.AreEqual(parsed.Action, d.Action);
                    Assert.AreEqual(parsed.ActionName, d.ActionName);
                    Assert.AreEqual(parsed.Reason, d.Reason);
                    Assert.AreEqual(parsed.CallId, d.CallId);
                    Assert.AreEqual(parsed.IdempotencyKey, d.IdempotencyKey);
                    Assert.AreEqual(parsed.LeaseMs, d.LeaseMs);
                    Assert.AreEqual(parsed.RetryAfterMs, d.RetryAfterMs);
                    Assert.AreEqual(parsed.CachedResult == null, d.CachedResult == null);
                    if (d.CachedResult == null) continue;
                    Assert.AreEqual(parsed.CachedResult.Ok, d.CachedResult.Ok);
                    Assert.AreEqual(parsed.CachedResult.PayloadJson, d.CachedResult.PayloadJson);
                    Assert.AreEqual(parsed.CachedResult.ErrorCode, d.CachedResult.ErrorCode);
                    Assert.AreEqual(parsed.CachedResult.Cached, d.CachedResult.Cached);
                    Assert.AreEqual(parsed.CachedResult.SideEffectExecuted, d.CachedResult.SideEffectExecuted);
                    Assert.AreEqual(parsed.CachedResult.PayloadKept, d.CachedResult.PayloadKept);
                }
                // Already in the engine's form, the payload comes back as it went in.
                Assert.AreEqual(Payload, hit.CachedResult.PayloadJson);
                Assert.AreEqual("\"\u00fcber\"", t.Seen[t.Seen.Count - 1].Key.CachedResult.PayloadJson);
            }
        }

        [Test]
        public void DecisionsReadOnManyThreadsAtOnceKeepTheirOwnFields()
        {
            using (var guard = TestSupport.NewGuard(c =>
            {
                c.MaxPendingCalls = 8;
                c.RepeatToolcallThreshold = 2;
                c.ToolLoopWindow = 1000;
            }))
            {
                var errors = new List<string>();
                var threads = new List<System.Threading.Thread>();
                for (int t = 0; t < 8; t++)
                {
                    int thread = t;
                    var worker = new System.Threading.Thread(() =>
                    {
                        for (int i = 0; i < 50; i++)
                        {
                            string payload = "{\"text\":\"" + new string('\u00e9', thread * 7 + i) + "\",\"thread\":" + thread + "}";
                            var args = new RawJson("{\"id\":\"" + thread + "-" + (i % 5) + "\"}");
                            Decision d = guard.CheckTool("get_item", args, "T-" + thread);
                            if (d.Action == GuardAction.Allow) guard.RecordResult(true, new RawJson(payload), callId: d.CallId);
                            else if (d.Action == GuardAction.Cache
                                     && !d.CachedResult.PayloadJson.EndsWith(",\"thread\":" + thread + "}"))
                                lock (errors) errors.Add(d.CachedResult.PayloadJson);
                            else if (d.Action == GuardAction.Cache && !d.Json.Contains(d.CachedResult.PayloadJson))
                                lock (errors) errors.Add(d.Json);
                        }
                    });
                    worker.Start();
                    threads.Add(worker);
                }
                foreach (var w in threads) w.Join();
                Assert.IsEmpty(errors);
                Assert.Greater(guard.Stats().CacheHits, 0);
            }
        }
    }
}

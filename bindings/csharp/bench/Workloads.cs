// The workloads of bench/c/bench_capi.c and bench/compare through the C#
// binding: the same calls on the same configurations (a cost budget out of
// reach included), as a caller with its arguments and payloads already as
// JSON text uses it (RawJson in). Prints one JSON object
// {workload: median ns per operation}; `make bench-compare` reads it.
//
//   mono Workloads.exe --batches N --iterations N
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AuraGuard;

static class Workloads
{
    private static readonly RawJson Payload = new RawJson("{\"n\":1}");
    private static readonly RawJson Repeated = new RawJson("{\"order_id\":\"A-1\"}");
    private static readonly string[] Vocab =
    {
        "refund", "policy", "germany", "shipping", "delay", "invoice", "warranty", "return", "label",
        "customs", "express", "tracking", "damaged", "parcel", "credit", "voucher",
    };
    private static readonly string[] Messages =
    {
        "Thanks for waiting. Your order A-100 left our warehouse on Monday and the carrier " +
        "expects to deliver it on Thursday before noon. If it does not arrive by Friday, reply " +
        "here and we will send a replacement at no cost, with express shipping included.",
        "I checked the refund you asked about. The amount of twenty five euros was approved " +
        "today and goes back to the card you paid with. Banks usually need three to five " +
        "working days to show it; your reference number is R-2291 for questions.",
        "The warranty covers the blender motor for two years from purchase, but not the glass " +
        "jug. Since the jug cracked during delivery, that counts as transport damage: please " +
        "send a photo of the box and the crack, and a new jug ships.",
        "Your account now uses the new billing address in Munich. Future invoices will show it " +
        "automatically, and the invoice from last week can be reissued if you need it for " +
        "accounting. Nothing else changes about your subscription, plan, price or renewal date.",
    };

    static int Main(string[] argv)
    {
        int batches = 3, iterations = 2000;
        for (int i = 0; i + 1 < argv.Length; i += 2)
        {
            if (argv[i] == "--batches") batches = int.Parse(argv[i + 1], CultureInfo.InvariantCulture);
            else if (argv[i] == "--iterations") iterations = int.Parse(argv[i + 1], CultureInfo.InvariantCulture);
        }
        var queries = new RawJson[16];
        for (int k = 0; k < 16; k++)
        {
            var words = new string[5];
            for (int j = 0; j < 5; j++) words[j] = Vocab[(k + j) % 16];
            queries[k] = new RawJson("{\"query\":\"" + string.Join(" ", words) + "\"}");
        }

        var results = new List<KeyValuePair<string, double>>();
        results.Add(Measure("distinct_reads", Budget(), null,
            (g, i) => Pair(g, "get_order", new RawJson("{\"order_id\":\"A-" + i.ToString(CultureInfo.InvariantCulture) + "\"}"), GuardAction.Allow),
            batches, iterations));
        var jitter = Budget();
        jitter.ArgJitterRepeatThreshold = 1000000;
        results.Add(Measure("jittery_queries", jitter, null,
            (g, i) => Pair(g, "search_kb", queries[i % 16], GuardAction.Allow), batches, iterations));
        var cache = Budget();
        cache.RepeatToolcallThreshold = 2;
        cache.MaxInterventionLog = 100000;
        cache.MaxCacheEntries = 100000;
        results.Add(Measure("cached_repeat", cache,
            g => { for (int j = 0; j < 2; j++) Pair(g, "get_order", Repeated, GuardAction.Unknown); },
            (g, i) => Pair(g, "get_order", Repeated, GuardAction.Cache), batches, iterations));
        results.Add(Measure("check_output", Budget(), null, (g, i) =>
        {
            if (g.CheckOutput(Messages[i % 4]) != null) throw new Exception("check_output intervened");
        }, batches, iterations));
        string orderRest = OrderRest();
        results.Add(Measure("distinct_results", Budget(), null, (g, i) =>
        {
            string id = i.ToString(CultureInfo.InvariantCulture);
            Pair(g, "get_order", new RawJson("{\"order_id\":\"A-" + id + "\"}"), GuardAction.Allow,
                new RawJson("{\"order_id\":\"A-" + id + orderRest));
        }, batches, iterations));

        var sb = new StringBuilder("{");
        for (int k = 0; k < results.Count; k++)
            sb.AppendFormat(CultureInfo.InvariantCulture, "{0}\"{1}\": {2:F1}", k == 0 ? "" : ", ", results[k].Key, results[k].Value);
        Console.WriteLine(sb.Append('}').ToString());
        return 0;
    }

    private static GuardConfig Budget()
    {
        return new GuardConfig { SecretKey = "bench", MaxCostPerRun = 1000000 };
    }

    // What get_order answers after the order's id (bench_capi.c's make_order):
    // 20 line items with prices, in the tool's key order.
    private static string OrderRest()
    {
        var sb = new StringBuilder("\",\"status\":\"shipped\",\"items\":[");
        for (int k = 0; k < 20; k++)
            sb.AppendFormat(CultureInfo.InvariantCulture,
                "{0}{{\"sku\":\"SKU-{1:D5}\",\"name\":\"Item number {2}\",\"qty\":{3},\"price\":{4}.99}}",
                k == 0 ? "" : ",", k * 7, k, k % 5 + 1, k + 10);
        return sb.Append("],\"customer\":{\"id\":4711,\"tier\":\"gold\"}}").ToString();
    }

    private static void Pair(Guard g, string tool, RawJson args, GuardAction want, RawJson payload = null)
    {
        Decision d = g.CheckTool(tool, args, "T-1");
        if (want != GuardAction.Unknown && d.Action != want)
            throw new Exception(tool + ": expected " + want + ", got " + d.Action + " (" + d.Reason + ")");
        if (d.Action == GuardAction.Allow) g.RecordResult(true, payload ?? Payload, callId: d.CallId);
    }

    private static KeyValuePair<string, double> Measure(string name, GuardConfig config, Action<Guard> prime,
        Action<Guard, int> op, int batches, int iterations)
    {
        var perOp = new List<double>();
        for (int b = 0; b <= batches; b++) // batch 0 warms up
        {
            using (var g = new Guard(config))
            {
                if (prime != null) prime(g);
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < iterations; i++) op(g, i);
                clock.Stop();
                if (b > 0) perOp.Add(clock.Elapsed.TotalMilliseconds * 1e6 / iterations);
            }
        }
        perOp.Sort();
        int mid = perOp.Count / 2;
        double median = perOp.Count % 2 == 1 ? perOp[mid] : (perOp[mid - 1] + perOp[mid]) / 2;
        return new KeyValuePair<string, double>(name, median);
    }
}

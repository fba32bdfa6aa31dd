// Times one guarded tool call (check_tool, then record_result when allowed)
// through the C# binding on three workloads and prints ns per pair:
//   distinct  get_order with a new order_id each time (the allow path)
//   jitter    search_kb with overlapping 5-word queries (similarity scoring on
//             every call; jitter quarantine is configured out of reach)
//   cached    the same get_order again and again (the cache path; nothing to record)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using AuraGuard;

static class Bench
{
    private const int Warmup = 2000;

    static int Main(string[] argv)
    {
        int iterations = argv.Length > 0 ? int.Parse(argv[0]) : 100000;
        Console.WriteLine("libauraguard " + Guard.NativeVersion + ", C# binding, " + iterations + " iterations each");

        var words = "refund policy shipping europe germany return window label carrier damaged item late " +
                    "delivery invoice vat address change cancel order warranty exchange size colour " +
                    "voucher discount store credit bank transfer card payment pending status tracking " +
                    "customs duty express standard pickup locker weekend holiday support hours phone email";
        string[] vocabulary = words.Split(' ');

        bool ok = true;
        ok &= Run("distinct", iterations, new GuardConfig { SecretKey = "bench-key" }, GuardAction.Allow,
            i => new Dictionary<string, object> { { "order_id", "A-" + i } }, "get_order");
        ok &= Run("jitter", iterations,
            new GuardConfig { SecretKey = "bench-key", ArgJitterRepeatThreshold = 1000000 }, GuardAction.Allow,
            i => new Dictionary<string, object> { { "query", Window(vocabulary, i, 5) } }, "search_kb");
        ok &= Run("cached", iterations, new GuardConfig { SecretKey = "bench-key" }, GuardAction.Cache,
            i => new Dictionary<string, object> { { "order_id", "A-1" } }, "get_order");
        return ok ? 0 : 1;
    }

    // Five consecutive words starting at i: each query shares four words with the previous one.
    private static string Window(string[] vocabulary, int i, int n)
    {
        var parts = new string[n];
        for (int k = 0; k < n; k++) parts[k] = vocabulary[(i + k) % vocabulary.Length];
        return string.Join(" ", parts);
    }

    private static bool Run(string name, int iterations, GuardConfig config, GuardAction expected,
        Func<int, object> args, string tool)
    {
        using (var guard = new Guard(config))
        {
            int unexpected = 0;
            for (int i = 0; i < Warmup; i++) Pair(guard, tool, args(i), expected, ref unexpected);

            unexpected = 0;
            var inputs = new object[iterations];
            for (int i = 0; i < iterations; i++) inputs[i] = args(Warmup + i);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++) Pair(guard, tool, inputs[i], expected, ref unexpected);
            clock.Stop();

            double ns = clock.Elapsed.TotalMilliseconds * 1e6 / iterations;
            Console.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                "{0,-9} {1,10:F0} ns per check+record pair{2}", name, ns,
                unexpected == 0 ? "" : "   (" + unexpected + " decisions were not " + expected + ")"));
            return unexpected == 0;
        }
    }

    private static void Pair(Guard guard, string tool, object args, GuardAction expected, ref int unexpected)
    {
        Decision d = guard.CheckTool(tool, args, "T-1");
        if (d.Action != expected) unexpected++;
        if (d.Action == GuardAction.Allow) guard.RecordResult(true, "ok", callId: d.CallId);
    }
}

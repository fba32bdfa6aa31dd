using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace AuraGuard
{
    /// <summary>What an operator found out about a side effect whose outcome was unknown.</summary>
    public enum LedgerOutcome
    {
        /// <summary>It did not happen: the next identical call may run.</summary>
        NotExecuted = 0,

        /// <summary>It happened: later identical calls are replayed.</summary>
        Executed = 1,
    }

    /// <summary>The values of <see cref="GuardConfig.LedgerOnError"/>.</summary>
    public static class LedgerOnError
    {
        /// <summary>Side-effect calls are blocked with <c>ledger_unavailable</c> (the default).</summary>
        public const string FailClosed = "fail_closed";

        /// <summary>They are allowed, with an event and the <c>ledger_errors</c> counter.</summary>
        public const string FailOpen = "fail_open";
    }

    /// <summary>The <c>ledger</c> key: where side effects are reserved and recorded.</summary>
    public sealed class LedgerStore
    {
        /// <summary>"memory", "sqlite" or "redis".</summary>
        public string Kind { get; set; }

        /// <summary>The SQLite file (sqlite).</summary>
        public string Path { get; set; }

        /// <summary>The server, e.g. redis://127.0.0.1:6379/0 (redis).</summary>
        public string Url { get; set; }

        /// <summary>The key prefix (redis; default "auraguard:").</summary>
        public string Prefix { get; set; }

        /// <summary>How long one store operation may take (default 2000 ms).</summary>
        public long? TimeoutMs { get; set; }

        /// <summary>This guard's memory only (the default).</summary>
        public static LedgerStore Memory() { return new LedgerStore { Kind = "memory" }; }

        /// <summary>A SQLite file shared by the processes of one machine.</summary>
        public static LedgerStore Sqlite(string path) { return new LedgerStore { Kind = "sqlite", Path = path }; }

        /// <summary>A Redis server shared by many machines.</summary>
        public static LedgerStore Redis(string url, string prefix = null)
        {
            return new LedgerStore { Kind = "redis", Url = url, Prefix = prefix };
        }

        internal IDictionary<string, object> ToDictionary()
        {
            var o = new JsonObjectBuilder();
            o.Add("kind", Kind);
            o.Add("path", Path);
            o.Add("url", Url);
            o.Add("prefix", Prefix);
            o.Add("timeout_ms", TimeoutMs);
            return o.Members;
        }
    }

    public sealed partial class Guard
    {
        private static class LedgerNative
        {
            [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_ledger_resolve(GuardHandle guard, byte[] idempotencyKey,
                int outcome, out IntPtr errorOut);
        }

        /// <summary>Settles a side effect escalated as <c>side_effect_outcome_unknown</c>, after
        /// checking the downstream system. <paramref name="idempotencyKey"/> is the decision's
        /// <see cref="Decision.IdempotencyKey"/>; the resolution is written to the guard's store,
        /// so every guard sharing it follows it.</summary>
        /// <exception cref="AuraGuardException"><see cref="GuardStatus.InvalidArgument"/> for a
        /// malformed key or outcome; <see cref="GuardStatus.Ledger"/> when the store does not answer.</exception>
        public void LedgerResolve(string idempotencyKey, LedgerOutcome outcome)
        {
            if (idempotencyKey == null) throw new ArgumentNullException("idempotencyKey");
            ThrowIfDisposed();
            IntPtr error;
            Check(LedgerNative.auraguard_ledger_resolve(_handle, ToUtf8(idempotencyKey, "idempotencyKey"), (int)outcome, out error), error);
        }
    }
}

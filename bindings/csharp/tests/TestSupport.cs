using System;
using System.Collections.Generic;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>Shared set-up: guards with a test key and small argument builders.</summary>
    internal static class TestSupport
    {
        public const string Key = "test-secret-key";

        public static Guard NewGuard()
        {
            return new Guard(new GuardConfig { SecretKey = Key });
        }

        public static Guard NewGuard(Action<GuardConfig> configure)
        {
            var config = new GuardConfig { SecretKey = Key };
            configure(config);
            return new Guard(config);
        }

        public static Dictionary<string, object> Args(string key, object value)
        {
            return new Dictionary<string, object> { { key, value } };
        }

        /// <summary>Checks a call and, when allowed, records it as succeeded.</summary>
        public static Decision CheckAndRecordOk(Guard guard, string tool, object args, string ticket = null,
            object payload = null)
        {
            Decision d = guard.CheckTool(tool, args, ticket);
            if (d.Action == GuardAction.Allow) guard.RecordResult(true, payload ?? "ok", callId: d.CallId);
            return d;
        }
    }
}

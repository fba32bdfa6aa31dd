using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace AuraGuard
{
    // The hot path beneath CheckTool, RecordResult and CheckOutput: the library
    // fills a blittable struct instead of writing JSON and takes the result's
    // fields as parameters; text crosses as pointer and length from a pinned
    // per-thread buffer (no NUL-terminated array per string). Only decisions
    // with rare fields (escalation packet, injected text) are read from JSON.
    public sealed partial class Guard
    {
        [StructLayout(LayoutKind.Sequential)]
        private unsafe struct CheckResult
        {
            public int Action;
            public uint Flags;
            public ulong CallId;
            public ulong LeaseMs;
            public ulong RetryAfterMs;
            public IntPtr Reason;
            public UIntPtr ReasonLen;
            public IntPtr Details;
            public fixed byte IdempotencyKey[33];
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct CachedFields
        {
            public IntPtr PayloadJson;
            public UIntPtr PayloadLen;
            public IntPtr ErrorCode;
            public UIntPtr ErrorCodeLen;
            public byte Ok;
            public byte Cached;
            public byte SideEffectExecuted;
            public byte PayloadKept;
        }

        // The bits of CheckResult.Flags (auraguard_check_flag).
        // auraguard_action counts from 0 (allow); GuardAction from Unknown = 0.
        private const int NativeCache = 2;

        private const uint FlagCallId = 1, FlagIdempotencyKey = 2, FlagLease = 4, FlagRetryAfter = 8, FlagDetails = 16;

        private static unsafe class FastNative
        {
            private const string Lib = "auraguard";

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_check_tool_fast(GuardHandle guard, byte* tool, UIntPtr toolLen,
                byte* argsJson, UIntPtr argsLen, byte* ticketId, UIntPtr ticketLen, int sideEffect,
                out CheckResult result, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_record_result_fast(GuardHandle guard, ulong callId, byte ok,
                byte* payloadJson, UIntPtr payloadLen, byte* errorCode, UIntPtr errorCodeLen, int sideEffectExecuted,
                out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_check_output_fast(GuardHandle guard, byte* text, UIntPtr textLen,
                out IntPtr decisionOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern IntPtr auraguard_decision_json(IntPtr decision);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern byte auraguard_decision_cached_result(IntPtr decision, out CachedFields result);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern void auraguard_decision_free(IntPtr decision);
        }

        /// <summary>Where one call's text is encoded: per thread, grown as needed.</summary>
        [ThreadStatic] private static byte[] _text;

        /// <summary>The library's static reason strings by address, as .NET strings.</summary>
        private static readonly Dictionary<IntPtr, string> StaticReasons = new Dictionary<IntPtr, string>();

        /// <summary>Encodes up to three strings one after the other into the thread's buffer;
        /// a NUL inside one is refused (the other APIs of the binding refuse it too).</summary>
        private static byte[] Encode(string a, string aName, string b, string bName, string c, string cName,
            out int aLen, out int bLen, out int cLen)
        {
            aLen = ByteCount(a, aName);
            bLen = ByteCount(b, bName);
            cLen = ByteCount(c, cName);
            int size = aLen + bLen + cLen + 1;
            byte[] buf = _text;
            if (buf == null || buf.Length < size) _text = buf = new byte[Math.Max(size, 256)];
            if (a != null) Encoding.UTF8.GetBytes(a, 0, a.Length, buf, 0);
            if (b != null) Encoding.UTF8.GetBytes(b, 0, b.Length, buf, aLen);
            if (c != null) Encoding.UTF8.GetBytes(c, 0, c.Length, buf, aLen + bLen);
            return buf;
        }

        private static int ByteCount(string s, string name)
        {
            if (s == null) return 0;
            if (s.IndexOf('\0') >= 0) throw new ArgumentException(name + " contains a NUL character", name);
            return Encoding.UTF8.GetByteCount(s);
        }

        private unsafe Decision CheckToolFast(string tool, string argsJson, string ticketId, int flag, HandlerFaults faults)
        {
            int toolLen, argsLen, ticketLen;
            byte[] buf = Encode(tool, "tool", argsJson, "args", ticketId, "ticketId", out toolLen, out argsLen, out ticketLen);
            ThrowIfDisposed();
            CheckResult r;
            IntPtr error;
            GuardStatus status;
            fixed (byte* p = buf)
            {
                // "" is text of length 0 (a non-NULL pointer); null is absent (NULL).
                status = FastNative.auraguard_check_tool_fast(_handle, p, (UIntPtr)toolLen,
                    argsJson == null ? null : p + toolLen, (UIntPtr)argsLen,
                    string.IsNullOrEmpty(ticketId) ? null : p + toolLen + argsLen, (UIntPtr)ticketLen,
                    flag, out r, out error);
            }
            DeliverEvents(faults);
            Check(status, error);
            return FromResult(ref r);
        }

        private static unsafe Decision FromResult(ref CheckResult r)
        {
            if (r.Details != IntPtr.Zero)
            {
                try
                {
                    string json = FromUtf8(FastNative.auraguard_decision_json(r.Details));
                    CachedFields c;
                    if (r.Action == NativeCache && (r.Flags & ~FlagDetails) == 0
                        && FastNative.auraguard_decision_cached_result(r.Details, out c) != 0)
                    {
                        var cached = new CachedResult(c.Ok != 0, Utf8(c.PayloadJson, c.PayloadLen),
                            c.ErrorCode == IntPtr.Zero ? null : Utf8(c.ErrorCode, c.ErrorCodeLen), c.Cached != 0,
                            c.SideEffectExecuted != 0, c.PayloadKept != 0);
                        return new Decision(json, GuardAction.Cache, Utf8(r.Reason, r.ReasonLen), cached);
                    }
                    return Decision.Parse(json);
                }
                finally
                {
                    FastNative.auraguard_decision_free(r.Details);
                }
            }
            string key = null;
            if ((r.Flags & FlagIdempotencyKey) != 0)
            {
                fixed (byte* k = r.IdempotencyKey) key = new string((sbyte*)k, 0, 32, Encoding.ASCII);
            }
            return new Decision(r.Action >= 0 && r.Action <= 5 ? (GuardAction)(r.Action + 1) : GuardAction.Unknown, StaticReason(r.Reason, r.ReasonLen),
                (r.Flags & FlagCallId) != 0 ? r.CallId : (ulong?)null, key,
                (r.Flags & FlagLease) != 0 ? r.LeaseMs : (ulong?)null,
                (r.Flags & FlagRetryAfter) != 0 ? r.RetryAfterMs : (ulong?)null);
        }

        private static unsafe string Utf8(IntPtr p, UIntPtr len)
        {
            return new string((sbyte*)p, 0, (int)len, Encoding.UTF8);
        }

        private static string StaticReason(IntPtr p, UIntPtr len)
        {
            lock (StaticReasons)
            {
                string s;
                if (!StaticReasons.TryGetValue(p, out s)) StaticReasons[p] = s = Utf8(p, len);
                return s;
            }
        }

        private unsafe void RecordResultFast(bool ok, string payloadJson, string errorCode, bool? sideEffectExecuted,
            ulong? callId, HandlerFaults faults)
        {
            if (callId.HasValue && callId.Value == 0)
                throw new AuraGuardException(GuardStatus.InvalidArgument,
                    "call_id 0 does not await a result (never issued, already recorded, or dropped as missed)");
            int payloadLen, codeLen, unused;
            byte[] buf = Encode(payloadJson, "payload", errorCode, "errorCode", null, null, out payloadLen, out codeLen, out unused);
            int executed = sideEffectExecuted.HasValue ? (sideEffectExecuted.Value ? 1 : 0) : -1;
            ThrowIfDisposed();
            IntPtr error;
            GuardStatus status;
            fixed (byte* p = buf)
            {
                status = FastNative.auraguard_record_result_fast(_handle, callId ?? 0, ok ? (byte)1 : (byte)0,
                    payloadJson == null ? null : p, (UIntPtr)payloadLen,
                    errorCode == null ? null : p + payloadLen, (UIntPtr)codeLen, executed, out error);
            }
            DeliverEvents(faults);
            Check(status, error);
        }

        private unsafe Decision CheckOutputFast(string text)
        {
            int textLen, u1, u2;
            byte[] buf = Encode(text, "text", null, null, null, null, out textLen, out u1, out u2);
            ThrowIfDisposed();
            IntPtr decision, error;
            GuardStatus status;
            fixed (byte* p = buf)
            {
                status = FastNative.auraguard_check_output_fast(_handle, p, (UIntPtr)textLen, out decision, out error);
            }
            DeliverEvents(null);
            Check(status, error);
            if (decision == IntPtr.Zero) return null;
            try
            {
                return Decision.Parse(FromUtf8(FastNative.auraguard_decision_json(decision)));
            }
            finally
            {
                FastNative.auraguard_decision_free(decision);
            }
        }
    }
}

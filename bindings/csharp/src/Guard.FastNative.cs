using System;
using System.Runtime.InteropServices;
using System.Security;

namespace AuraGuard
{
    // The hot-path C API (include/auraguard.h): a check writes its decision as a
    // struct into a call block (Guard.CallBlocks.cs) instead of JSON, auraguard_record_result_fast takes
    // the result's fields as parameters, and text crosses as pointer and length.
    // Every signature is blittable (pointers, integers, the status enum; the guard
    // as its raw pointer, see Guard.Calls.cs), so the runtime's stub marshals nothing; the out
    // parameters are pointers to the caller's locals. The library's pointers are
    // C# pointers and a size_t is declared void* (the same width everywhere): they
    // compare and convert in place, where IntPtr's and UIntPtr's operators are
    // method calls that Mono does not inline.
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
            public byte* Reason;
            public void* ReasonLen;
            public void* Details;
            public fixed byte IdempotencyKey[33];
        }

        [StructLayout(LayoutKind.Sequential)]
        private unsafe struct CachedFields
        {
            public byte* PayloadJson;
            public void* PayloadLen;
            public byte* ErrorCode;
            public void* ErrorCodeLen;
            public byte Ok;
            public byte Cached;
            public byte SideEffectExecuted;
            public byte PayloadKept;
        }

        // auraguard_action counts from 0 (allow); GuardAction from Unknown = 0.
        private const int NativeCache = 2;

        // The bits of CheckResult.Flags (auraguard_check_flag).
        private const uint FlagCallId = 1, FlagIdempotencyKey = 2, FlagLease = 4, FlagRetryAfter = 8, FlagDetails = 16, FlagKept = 32;

        // SuppressUnmanagedCodeSecurity spares the security stack walk where the runtime
        // still makes one (.NET Framework); Mono and .NET Core ignore it.
        [SuppressUnmanagedCodeSecurity]
        private static unsafe class FastNative
        {
            private const string Lib = "auraguard";

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_record_result_fast(IntPtr guard, ulong callId, byte ok,
                byte* payloadJson, void* payloadLen, byte* errorCode, void* errorCodeLen, int sideEffectExecuted,
                byte** errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_check_output_fast(IntPtr guard, byte* text, void* textLen,
                void** decisionOut, byte** errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern byte* auraguard_decision_json(void* decision);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern byte auraguard_decision_cached_result(void* decision, CachedFields* result);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern void auraguard_decision_free(void* decision);
        }
    }
}

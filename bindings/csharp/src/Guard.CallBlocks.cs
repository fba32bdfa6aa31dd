using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Threading;

namespace AuraGuard
{
    // CheckTool goes through a call block (auraguard_call, include/auraguard.h): the
    // library writes the decision into the block, and a plain cache hit's cached result
    // with it, so that a cache hit is one P/Invoke instead of three (check, cached
    // result, free). Each guard keeps a few idle blocks; a call takes one for as long
    // as it reads the block, so a call made from an event handler, or from another
    // thread, takes another.
    public sealed partial class Guard
    {
        // What auraguard_call holds, in its order (the header's layout; every field is
        // the library's to write).
        [StructLayout(LayoutKind.Sequential)]
        private unsafe struct CallFields
        {
            public void* Guard;
            public ulong Summary;
            public CheckResult Result;
            public CachedFields Cached;
            public byte* Error;
            public void* Kept;
            public ulong KeptCount;
        }

        // A block is freed by its SafeHandle: on Dispose, when the pool has no room for
        // it, or by the critical finalizer for one still idle when the guard is collected
        // undisposed. It does not own the guard and may outlive it; it is used only
        // between EnterCall and LeaveCall, so never on a freed guard.
        private sealed unsafe class CallBlock : SafeHandle
        {
            // Made by the marshaller for auraguard_call_new's out parameter.
            public CallBlock() : base(IntPtr.Zero, true)
            {
            }

            public override bool IsInvalid
            {
                get { return handle == IntPtr.Zero; }
            }

            internal CallFields* Fields
            {
                get { return (CallFields*)handle; }
            }

            // The strings made from the cached result the block keeps (KeptCount says
            // which): a hit on the same result again decodes nothing. Strings are
            // immutable, so decisions may share them; every decision still gets its own
            // CachedResult, whose Payload values the caller may change.
            internal ulong MadeFor;
            internal string PayloadJson;
            internal string ErrorCode;

            protected override bool ReleaseHandle()
            {
                CallNative.auraguard_call_free(handle);
                return true;
            }
        }

        // Idle blocks. One slot serves a guard used from one thread at a time (the usual
        // case: one Interlocked operation to take a block, one to give it back); the
        // others, calls from event handlers and threads running at once.
        private const int IdleBlocks = 4;
        private readonly CallBlock[] _idleBlocks = new CallBlock[IdleBlocks];

        /// <summary>An idle block, or a new one for the guard <paramref name="guard"/>
        /// (between EnterCall and LeaveCall).</summary>
        private CallBlock TakeBlock(IntPtr guard)
        {
            for (int i = 0; i < IdleBlocks; i++)
            {
                CallBlock idle = Interlocked.Exchange(ref _idleBlocks[i], null);
                if (idle != null) return idle;
            }
            return NewBlock(guard);
        }

        private static unsafe CallBlock NewBlock(IntPtr guard)
        {
            // The marshaller makes the handle and gives it the block in one step, so no
            // exception in between can lose the block.
            CallBlock block;
            byte* error = null;
            GuardStatus status = CallNative.auraguard_call_new(guard, out block, &error);
            if (status != GuardStatus.Ok)
            {
                block.Dispose();
                CheckFast(status, error);
            }
            return block;
        }

        /// <summary>Gives a block back to the pool, or frees it when the pool is full or
        /// the guard disposed.</summary>
        private void GiveBack(CallBlock block)
        {
            if (!IsDisposed)
            {
                for (int i = 0; i < IdleBlocks; i++)
                    if (Interlocked.CompareExchange(ref _idleBlocks[i], block, null) == null) return;
            }
            block.Dispose();
        }

        /// <summary>Frees the idle blocks (Dispose; a block in use is freed when its call
        /// gives it back).</summary>
        private void FreeIdleBlocks()
        {
            for (int i = 0; i < IdleBlocks; i++)
            {
                CallBlock idle = Interlocked.Exchange(ref _idleBlocks[i], null);
                if (idle != null) idle.Dispose();
            }
        }

        [SuppressUnmanagedCodeSecurity]
        private static unsafe class CallNative
        {
            private const string Lib = "auraguard";

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_call_new(IntPtr guard, out CallBlock callOut, byte** errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern void auraguard_call_free(IntPtr call);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_call_check_bytes(CallFields* call, byte* tool, void* toolLen,
                byte* argsJson, void* argsLen, byte* ticketId, void* ticketLen, int sideEffect);
        }
    }
}

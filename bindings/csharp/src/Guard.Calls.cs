using System;
using System.Threading;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        // The hot path (Guard.Fast.cs) passes the native pointer itself, not the
        // SafeHandle: the runtime's DangerousAddRef and DangerousRelease around each
        // call cost Mono several times one atomic increment and decrement. The
        // guarantee stays the same: the native guard is freed only once no call is
        // using it. _calls counts the hot-path calls in flight and its sign bit says
        // Dispose was called; Dispose closes the handle when nothing is in flight,
        // else the last call to finish does. The SafeHandle still owns the guard: the
        // other calls go through it, and its critical finalizer frees a guard that was
        // never disposed (a call in flight keeps this object, and so the handle, alive).
        private readonly IntPtr _native;
        private int _calls;
        private const int Disposed = int.MinValue;

        /// <summary>Counts a native call in; the caller must <see cref="LeaveCall"/> once
        /// the native function returns.</summary>
        /// <exception cref="ObjectDisposedException">The guard was disposed.</exception>
        private IntPtr EnterCall()
        {
            if (Interlocked.Increment(ref _calls) < 0)
            {
                LeaveCall();
                throw new ObjectDisposedException(typeof(Guard).FullName);
            }
            return _native;
        }

        private void LeaveCall()
        {
            // Disposed with this the last call in flight: free it now.
            if (Interlocked.Decrement(ref _calls) == Disposed) _handle.Dispose();
        }

        /// <summary>Frees the native guard (once the calls still running on other threads
        /// have returned). Calling it again does nothing; any other call afterwards throws
        /// <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            int calls = Volatile.Read(ref _calls);
            while (calls >= 0)
            {
                int seen = Interlocked.CompareExchange(ref _calls, calls | Disposed, calls);
                if (seen == calls)
                {
                    if (calls == 0) _handle.Dispose();
                    FreeIdleBlocks();
                    return;
                }
                calls = seen;
            }
        }

        private bool IsDisposed
        {
            get { return Volatile.Read(ref _calls) < 0; }
        }
    }
}

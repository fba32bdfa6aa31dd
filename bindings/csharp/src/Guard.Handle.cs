using System;
using System.Runtime.InteropServices;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        /// <summary>
        /// Owns one native <c>auraguard_guard*</c>. The runtime keeps it alive for the
        /// length of every native call that takes it, so a Dispose racing with a call
        /// on another thread frees the guard only once that call has returned.
        /// </summary>
        private sealed class GuardHandle : SafeHandle
        {
            // Created by the marshaller for auraguard_guard_new's out parameter.
            public GuardHandle() : base(IntPtr.Zero, true)
            {
            }

            public override bool IsInvalid
            {
                get { return handle == IntPtr.Zero; }
            }

            protected override bool ReleaseHandle()
            {
                Native.auraguard_guard_free(handle);
                return true;
            }
        }
    }
}

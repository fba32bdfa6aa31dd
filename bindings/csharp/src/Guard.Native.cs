using System;
using System.Runtime.InteropServices;
using System.Text;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        // The C ABI of include/auraguard.h. Strings cross as NUL-terminated UTF-8
        // byte arrays (encoded here, so the runtime's default ANSI marshalling never
        // applies) and come back as pointers that must go to auraguard_string_free.
        private static class Native
        {
            private const string Lib = "auraguard";

            [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
            internal delegate void EventFn(IntPtr eventJson, IntPtr userData);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_guard_new(byte[] configJson, out GuardHandle guardOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern void auraguard_guard_free(IntPtr guard);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_check_tool(GuardHandle guard, byte[] tool, byte[] argsJson,
                byte[] ticketId, int sideEffect, out IntPtr decisionJsonOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_record_result(GuardHandle guard, byte[] resultJson, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_check_output(GuardHandle guard, byte[] text,
                out IntPtr decisionJsonOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_record_tokens(GuardHandle guard, ulong inputTokens,
                ulong outputTokens, double costOverride, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_stats_json(GuardHandle guard, out IntPtr jsonOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_report_json(GuardHandle guard, out IntPtr jsonOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_report_text(GuardHandle guard, out IntPtr textOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_state_save(GuardHandle guard, out IntPtr stateJsonOut, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_state_load(GuardHandle guard, byte[] stateJson, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_reset(GuardHandle guard, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern GuardStatus auraguard_set_event_callback(GuardHandle guard, EventFn fn,
                IntPtr userData, out IntPtr errorOut);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern void auraguard_string_free(IntPtr s);

            [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
            internal static extern IntPtr auraguard_version();
        }

        /// <summary>NUL-terminated UTF-8 for a native string parameter; null stays null (NULL).
        /// A NUL inside the string is refused: the library would read only up to it.</summary>
        private static byte[] ToUtf8(string s, string parameter)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0)
                throw new ArgumentException(parameter + " contains a NUL character", parameter);
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string without taking ownership.</summary>
        private static unsafe string FromUtf8(IntPtr p)
        {
            // Pointer reads: Marshal.ReadByte per byte costs a runtime call each.
            return FromUtf8((byte*)p);
        }

        /// <summary>Decodes a string the library handed over, then releases it.</summary>
        private static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            try
            {
                return FromUtf8(p);
            }
            finally
            {
                Native.auraguard_string_free(p);
            }
        }

        /// <summary>Releases the error message and throws unless the call succeeded.</summary>
        private static void Check(GuardStatus status, IntPtr error)
        {
            string message = TakeString(error);
            if (status != GuardStatus.Ok) throw new AuraGuardException(status, message);
        }

        /// <summary><see cref="Check(GuardStatus, IntPtr)"/> for the hot path's pointer: a
        /// success without a message returns at once.</summary>
        private static unsafe void CheckFast(GuardStatus status, byte* error)
        {
            if (status != GuardStatus.Ok || error != null) Check(status, (IntPtr)error);
        }

        /// <summary>A NUL-terminated string the library owns, decoded (null for NULL).</summary>
        private static unsafe string FromUtf8(byte* p)
        {
            return p == null ? null : Utf8Text.Decode(p, Utf8Text.Length(p));
        }
    }
}

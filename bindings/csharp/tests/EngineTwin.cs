using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using AuraGuard;

namespace AuraGuard.Tests
{
    /// <summary>
    /// A second guard driven through the library's JSON C API (auraguard_check_tool,
    /// auraguard_record_result), which answers with the decision as the engine writes
    /// it. Given the same configuration and the same calls as a <see cref="Guard"/>,
    /// its answers are the text every <see cref="Decision.Json"/> must equal.
    /// </summary>
    internal sealed class EngineTwin : IDisposable
    {
        private IntPtr _guard;

        public EngineTwin(string configJson)
        {
            IntPtr error;
            int status = auraguard_guard_new(Utf8(configJson), out _guard, out error);
            if (status != 0) throw new InvalidOperationException("twin: " + Take(error));
        }

        /// <summary>The decision's JSON for a call; sideEffect -1 means the configuration's.</summary>
        public string Check(string tool, string argsJson, string ticketId, int sideEffect = -1)
        {
            IntPtr json, error;
            int status = auraguard_check_tool(_guard, Utf8(tool), Utf8(argsJson), Utf8(ticketId), sideEffect,
                out json, out error);
            if (status != 0) throw new InvalidOperationException("twin: " + Take(error));
            return Take(json);
        }

        /// <summary>Records a result given as the engine's result JSON.</summary>
        public void Record(string resultJson)
        {
            IntPtr error;
            if (auraguard_record_result(_guard, Utf8(resultJson), out error) != 0)
                throw new InvalidOperationException("twin: " + Take(error));
        }

        public void Dispose()
        {
            auraguard_guard_free(_guard);
            _guard = IntPtr.Zero;
        }

        private static byte[] Utf8(string s)
        {
            if (s == null) return null;
            var bytes = new List<byte>(Encoding.UTF8.GetBytes(s)) { 0 };
            return bytes.ToArray();
        }

        private static string Take(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            var bytes = new List<byte>();
            for (int i = 0; ; i++)
            {
                byte b = Marshal.ReadByte(p, i);
                if (b == 0) break;
                bytes.Add(b);
            }
            auraguard_string_free(p);
            return Encoding.UTF8.GetString(bytes.ToArray());
        }

        [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
        private static extern int auraguard_guard_new(byte[] configJson, out IntPtr guard, out IntPtr error);

        [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
        private static extern void auraguard_guard_free(IntPtr guard);

        [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
        private static extern int auraguard_check_tool(IntPtr guard, byte[] tool, byte[] argsJson, byte[] ticketId,
            int sideEffect, out IntPtr decisionJson, out IntPtr error);

        [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
        private static extern int auraguard_record_result(IntPtr guard, byte[] resultJson, out IntPtr error);

        [DllImport("auraguard", CallingConvention = CallingConvention.Cdecl)]
        private static extern void auraguard_string_free(IntPtr s);
    }
}

using System;
using System.Threading;

namespace AuraGuard
{
    /// <summary>
    /// The library's reason codes ("allow", "identical_toolcall_loop_cache", ...) as
    /// .NET strings, made once and handed to every decision with the same reason. A
    /// reason arrives as a pointer and length, and the fixed codes are static in the
    /// library, so their address repeats and picks the slot. The header promises a
    /// static reason when a decision has no details handle: there the address and
    /// length identify it. A reason that belongs to a details handle may be one made
    /// for the call, whose address is later reused for other text: it is reused only
    /// after its bytes compare equal. Lookups take no lock: entries are immutable and
    /// replaced whole.
    /// </summary>
    internal static unsafe class ReasonCache
    {
        private sealed unsafe class Entry
        {
            internal readonly byte* Address;
            internal readonly byte[] Bytes;
            internal readonly string Text;

            internal Entry(byte* address, byte[] bytes, string text)
            {
                Address = address;
                Bytes = bytes;
                Text = text;
            }
        }

        // The library has a few dozen fixed reasons; collisions only cost a decode.
        private const int Slots = 64;
        private static readonly Entry[] Entries = new Entry[Slots];

        /// <summary>The reason of a decision without a details handle: static text.</summary>
        internal static string Static(byte* p, int len)
        {
            Entry e = Volatile.Read(ref Entries[Slot(p)]);
            if (e != null && e.Address == p && e.Bytes.Length == len) return e.Text;
            return Add(p, len);
        }

        /// <summary>The reason of a decision with a details handle: text the handle owns.</summary>
        internal static string Owned(byte* p, int len)
        {
            Entry e = Volatile.Read(ref Entries[Slot(p)]);
            if (e != null && e.Address == p && Utf8Text.SameBytes(e.Bytes, p, len)) return e.Text;
            return Add(p, len);
        }

        private static int Slot(byte* p)
        {
            return (int)(((ulong)p >> 3) % Slots);
        }

        private static string Add(byte* p, int len)
        {
            if (p == null) return "";
            string text = Utf8Text.Decode(p, len);
            var bytes = new byte[len];
            for (int i = 0; i < len; i++) bytes[i] = p[i];
            Volatile.Write(ref Entries[Slot(p)], new Entry(p, bytes, text));
            return text;
        }
    }
}

using System;

namespace AuraGuard
{
    public sealed partial class Guard
    {
        // Where one call's text is encoded for the library: one array per thread, pinned
        // only for the call (the library never keeps the text). Sized for the worst case
        // (3 bytes per UTF-16 unit) so that text is encoded in one pass without counting
        // its bytes first.
        [ThreadStatic] private static byte[] _text;

        // Larger text gets an array of its exact size that is not kept, so a thread that
        // once passed a large payload does not hold its size for good.
        private const int KeptTextBytes = 64 * 1024;

        /// <summary>An array with <paramref name="reserved"/> bytes and then room for the
        /// UTF-8 of the given strings (null counts as empty); never empty: "" must still
        /// cross as a non-NULL pointer.</summary>
        private static byte[] TextBuffer(int reserved, string a, string b, string c)
        {
            long chars = (long)(a == null ? 0 : a.Length) + (b == null ? 0 : b.Length) + (c == null ? 0 : c.Length);
            long worst = reserved + Utf8Text.MaxBytesPerChar * chars;
            byte[] buf = _text;
            if (buf != null && buf.Length >= worst) return buf;
            if (worst <= KeptTextBytes)
            {
                int size = 256;
                while (size < worst) size *= 2;
                return _text = new byte[size];
            }
            long exact = reserved + Bytes(a) + Bytes(b) + Bytes(c);
            if (buf != null && buf.Length >= exact) return buf;
            return new byte[exact];
        }

        private static long Bytes(string s)
        {
            return s == null ? 0 : Utf8Text.ByteCount(s);
        }
    }
}

using System;
using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// UTF-8 to and from native memory for the hot path. Tool names, arguments and
    /// payloads are nearly always ASCII; the loops below move them eight characters
    /// at a time, which on Mono is several times cheaper than the general encoder
    /// (whose per-call set-up dominates for short text), and fall back to
    /// <see cref="Encoding.UTF8"/> at the first character that is not ASCII, so the
    /// bytes are always exactly what <see cref="Encoding.UTF8"/> writes (a lone
    /// surrogate becomes U+FFFD).
    /// </summary>
    internal static unsafe class Utf8Text
    {
        // Four UTF-16 units in a ulong: any bit above 0x7F set means not ASCII. Once
        // they are ASCII, adding 0x7F to each sets its bit 7 unless it is 0 (a NUL),
        // without carrying into the next.
        private const ulong NotAscii4 = 0xFF80FF80FF80FF80UL;
        private const ulong Add7F4 = 0x007F007F007F007FUL, Bit7Of4 = 0x0080008000800080UL;
        // Of (x | x >> 8): the low byte of each unit, two to a half.
        private const ulong LowBytes4 = 0x0000FFFF0000FFFFUL;
        // The classic zero-byte test (x - 1) & ~x & high: non-zero when a byte is 0.
        private const ulong Ones8 = 0x0101010101010101UL, Highs8 = 0x8080808080808080UL;
        // The wide loops read a ulong at any byte boundary: fine on 64-bit targets (x64,
        // arm64), a possible fault on 32-bit ARM, so they only run where sizeof(IntPtr) is
        // 8 (a constant to the JIT: the test costs nothing).

        /// <summary>The most UTF-8 bytes one UTF-16 unit can need (a surrogate pair: 4 for 2).</summary>
        internal const int MaxBytesPerChar = 3;

        /// <summary>Writes <paramref name="s"/> as UTF-8 at <paramref name="dst"/>, which has
        /// room for <paramref name="capacity"/> bytes (at least the encoded length); returns
        /// the byte count. A NUL character is refused: the library's other entry points read
        /// text up to the first NUL, and the binding refuses it everywhere alike.</summary>
        internal static int Encode(string s, byte* dst, int capacity, string parameter)
        {
            int n = s.Length, i = 0;
            fixed (char* src = s)
            {
                if (sizeof(IntPtr) == 8)
                {
                    for (; i + 8 <= n; i += 8)
                    {
                        ulong v = *(ulong*)(src + i), w = *(ulong*)(src + i + 4);
                        if (((v | w) & NotAscii4) != 0 || ((v + Add7F4) & (w + Add7F4) & Bit7Of4) != Bit7Of4) break;
                        // The low byte of each of the eight units, in order.
                        ulong a = (v | (v >> 8)) & LowBytes4, b = (w | (w >> 8)) & LowBytes4;
                        *(ulong*)(dst + i) = ((a | (a >> 16)) & 0xFFFFFFFF) | ((b | (b >> 16)) << 32);
                    }
                }
                for (; i < n; i++)
                {
                    char c = src[i];
                    if (c >= 0x80)
                    {
                        // The rest through the general encoder; it writes NUL as a 0 byte, so look first.
                        if (s.IndexOf('\0', i) >= 0) throw ContainsNul(parameter);
                        return i + Encoding.UTF8.GetBytes(src + i, n - i, dst + i, capacity - i);
                    }
                    if (c == 0) throw ContainsNul(parameter);
                    dst[i] = (byte)c;
                }
            }
            return n;
        }

        /// <summary>Copies <paramref name="bytes"/> (checked when their RawJson was made) to
        /// <paramref name="dst"/>, which has room for them; returns their count.</summary>
        internal static int Copy(byte[] bytes, byte* dst)
        {
            fixed (byte* src = bytes)
            {
                Buffer.MemoryCopy(src, dst, bytes.Length, bytes.Length);
            }
            return bytes.Length;
        }

        // Decodes strictly: an invalid sequence throws instead of becoming U+FFFD.
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>Throws unless <paramref name="bytes"/> are UTF-8 without a NUL byte.
        /// ASCII is checked eight bytes at a time; from the first other byte on, the strict
        /// decoder judges the rest (the engine checks the text again at the call).</summary>
        internal static void CheckUtf8(byte[] bytes, string parameter)
        {
            int n = bytes.Length, i = 0;
            fixed (byte* p = bytes)
            {
                if (sizeof(IntPtr) == 8)
                {
                    for (; i + 8 <= n; i += 8)
                    {
                        ulong v = *(ulong*)(p + i);
                        if ((v & Highs8) != 0 || ((v - Ones8) & ~v & Highs8) != 0) break;
                    }
                }
                for (; i < n && p[i] < 0x80; i++)
                {
                    if (p[i] == 0) throw ContainsNulByte(parameter);
                }
                if (i == n) return;
                for (int k = i; k < n; k++)
                {
                    if (p[k] == 0) throw ContainsNulByte(parameter);
                }
                try
                {
                    StrictUtf8.GetCharCount(p + i, n - i);
                }
                catch (DecoderFallbackException)
                {
                    // The exception's Index is not the byte's position on Mono; say what was wrong.
                    throw new ArgumentException(parameter + " is not UTF-8", parameter);
                }
            }
        }

        private static ArgumentException ContainsNulByte(string parameter)
        {
            return new ArgumentException(parameter + " contains a NUL byte", parameter);
        }

        /// <summary>The exact UTF-8 length of <paramref name="s"/>, for text too long to size by
        /// <see cref="MaxBytesPerChar"/>.</summary>
        internal static int ByteCount(string s)
        {
            return Encoding.UTF8.GetByteCount(s);
        }

        internal static ArgumentException ContainsNul(string parameter)
        {
            return new ArgumentException(parameter + " contains a NUL character", parameter);
        }

        /// <summary>Decodes <paramref name="len"/> bytes of UTF-8 (the library only hands out valid UTF-8).</summary>
        internal static string Decode(byte* p, int len)
        {
            if (len == 0) return "";
            // ASCII widens byte for byte into one new string, no decoder; the first byte
            // that is not ASCII hands the whole text to the decoder instead.
            string s = new string('\0', len);
            fixed (char* dst = s)
            {
                int i = 0;
                if (sizeof(IntPtr) == 8)
                {
                    for (; i + 8 <= len; i += 8)
                    {
                        ulong x = *(ulong*)(p + i);
                        if ((x & Highs8) != 0) return new string((sbyte*)p, 0, len, Encoding.UTF8);
                        ulong lo = x & 0xFFFFFFFF, hi = x >> 32;
                        *(ulong*)(dst + i) = (lo & 0xFF) | ((lo & 0xFF00) << 8) | ((lo & 0xFF0000) << 16) | ((lo & 0xFF000000) << 24);
                        *(ulong*)(dst + i + 4) = (hi & 0xFF) | ((hi & 0xFF00) << 8) | ((hi & 0xFF0000) << 16) | ((hi & 0xFF000000) << 24);
                    }
                }
                for (; i < len; i++)
                {
                    byte b = p[i];
                    if (b >= 0x80) return new string((sbyte*)p, 0, len, Encoding.UTF8);
                    dst[i] = (char)b;
                }
            }
            return s;
        }

        /// <summary>The length of a NUL-terminated string, eight bytes at a time once aligned.</summary>
        internal static int Length(byte* p)
        {
            byte* q = p;
            // Aligned reads never cross into an unmapped page past the terminator.
            while (((long)q & 7) != 0)
            {
                if (*q == 0) return (int)(q - p);
                q++;
            }
            for (;;)
            {
                ulong v = *(ulong*)q;
                if (((v - Ones8) & ~v & Highs8) != 0) break;
                q += 8;
            }
            while (*q != 0) q++;
            return (int)(q - p);
        }

        /// <summary>Whether the <paramref name="len"/> bytes at <paramref name="p"/> are
        /// <paramref name="bytes"/>.</summary>
        internal static bool SameBytes(byte[] bytes, byte* p, int len)
        {
            if (bytes.Length != len) return false;
            fixed (byte* b = bytes)
            {
                if (sizeof(IntPtr) == 8 && len >= 8)
                {
                    // Eight bytes at a time, the last eight read overlapping the ones before.
                    for (int k = 0; k < len - 8; k += 8)
                    {
                        if (*(ulong*)(b + k) != *(ulong*)(p + k)) return false;
                    }
                    return *(ulong*)(b + len - 8) == *(ulong*)(p + len - 8);
                }
                for (int i = 0; i < len; i++)
                {
                    if (b[i] != p[i]) return false;
                }
            }
            return true;
        }
    }
}

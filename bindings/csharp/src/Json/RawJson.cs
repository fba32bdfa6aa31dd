using System;
using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// JSON text that the binding passes to the engine as it is, for hosts that
    /// already hold their tool arguments or results as JSON: a string, or UTF-8 bytes
    /// (what <c>JsonSerializer.SerializeToUtf8Bytes</c> and an HTTP response body hold),
    /// which cross without being decoded or encoded again. The engine checks it;
    /// malformed text fails there with <see cref="GuardStatus.InvalidArgument"/>.
    /// </summary>
    public sealed class RawJson
    {
        // Exactly one of the two is set at construction; _json is filled from the bytes
        // when first asked for (a race only computes the same string twice).
        private string _json;
        private readonly byte[] _utf8;

        public RawJson(string json)
        {
            if (json == null) throw new ArgumentNullException("json");
            _json = json;
        }

        /// <summary>JSON text as UTF-8 bytes, copied: changing the array afterwards
        /// changes nothing here.</summary>
        /// <exception cref="ArgumentException">The bytes are not UTF-8, or hold a NUL
        /// byte (which no JSON text holds, and which the binding refuses in every
        /// text).</exception>
        public RawJson(byte[] utf8Json)
            : this(utf8Json, 0, utf8Json == null ? 0 : utf8Json.Length)
        {
        }

        /// <summary><paramref name="count"/> bytes of UTF-8 JSON text from
        /// <paramref name="offset"/> in <paramref name="utf8Json"/>, copied.</summary>
        /// <exception cref="ArgumentException">The bytes are not UTF-8, or hold a NUL
        /// byte.</exception>
        public RawJson(byte[] utf8Json, int offset, int count)
        {
            if (utf8Json == null) throw new ArgumentNullException("utf8Json");
            if (offset < 0 || offset > utf8Json.Length)
                throw new ArgumentOutOfRangeException("offset", offset,
                    "offset must lie within the array's " + utf8Json.Length + " bytes");
            if (count < 0 || count > utf8Json.Length - offset)
                throw new ArgumentOutOfRangeException("count", count,
                    "count must be 0 to the " + (utf8Json.Length - offset) + " bytes after offset");
            var copy = new byte[count];
            Buffer.BlockCopy(utf8Json, offset, copy, 0, count);
            Utf8Text.CheckUtf8(copy, "utf8Json");
            _utf8 = copy;
        }

        /// <summary>The JSON text.</summary>
        public string Json
        {
            get { return _json ?? (_json = Encoding.UTF8.GetString(_utf8)); }
        }

        /// <summary>The bytes given at construction, checked; null when made from a
        /// string. Never handed to the caller: nothing may change them.</summary>
        internal byte[] Utf8
        {
            get { return _utf8; }
        }

        public override string ToString()
        {
            return Json;
        }
    }
}

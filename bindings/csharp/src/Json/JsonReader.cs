using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AuraGuard
{
    /// <summary>
    /// A JSON object as read by <see cref="JsonReader"/>: its members, plus the
    /// original text of each member's value (so a payload can be handed back to the
    /// host exactly as the engine wrote it).
    /// </summary>
    public sealed class JsonObject : Dictionary<string, object>
    {
        private readonly string _source;

        // Where each member's value lies in _source. A list searched linearly, not a
        // second dictionary: objects from the engine are small and RawText is rare.
        private readonly List<Span> _spans = new List<Span>();

        private struct Span
        {
            public string Key;
            public int Start;
            public int End;
        }

        internal JsonObject(string source) : base(StringComparer.Ordinal)
        {
            _source = source;
        }

        internal void SetMember(string key, object value, int start, int end)
        {
            this[key] = value;
            _spans.Add(new Span { Key = key, Start = start, End = end });
        }

        /// <summary>The JSON text of member <paramref name="key"/>, or null when absent.</summary>
        public string RawText(string key)
        {
            // The last occurrence wins, as in the dictionary.
            for (int i = _spans.Count - 1; i >= 0; i--)
            {
                Span span = _spans[i];
                if (string.Equals(span.Key, key, StringComparison.Ordinal))
                    return _source.Substring(span.Start, span.End - span.Start);
            }
            return null;
        }
    }

    /// <summary>
    /// Reads JSON text into plain values: <see cref="JsonObject"/>,
    /// <c>List&lt;object&gt;</c>, string, bool, null, and numbers as long (integers
    /// that fit), ulong (larger non-negative integers) or double.
    /// </summary>
    public static class JsonReader
    {
        private const int MaxDepth = 512;

        /// <exception cref="FormatException">The text is not one JSON value.</exception>
        public static object Parse(string json)
        {
            if (json == null) throw new ArgumentNullException("json");
            var p = new Parser(json);
            p.SkipSpace();
            object value = p.ReadValue(0);
            p.SkipSpace();
            if (p.Pos != json.Length) throw p.Error("unexpected text after the JSON value");
            return value;
        }

        private sealed class Parser
        {
            private readonly string _s;
            public int Pos;

            public Parser(string s)
            {
                _s = s;
            }

            public FormatException Error(string what)
            {
                return new FormatException("invalid JSON at offset " + Pos + ": " + what);
            }

            public void SkipSpace()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
                    Pos++;
                }
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting too deep");
                if (Pos >= _s.Length) throw Error("unexpected end of text");
                char c = _s[Pos];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Expect(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Error("expected " + word);
                Pos += word.Length;
            }

            private JsonObject ReadObject(int depth)
            {
                var obj = new JsonObject(_s);
                Pos++; // '{'
                SkipSpace();
                if (Pos < _s.Length && _s[Pos] == '}') { Pos++; return obj; }
                while (true)
                {
                    SkipSpace();
                    if (Pos >= _s.Length || _s[Pos] != '"') throw Error("expected a member name");
                    string key = ReadString();
                    SkipSpace();
                    if (Pos >= _s.Length || _s[Pos] != ':') throw Error("expected ':'");
                    Pos++;
                    SkipSpace();
                    int start = Pos;
                    object value = ReadValue(depth + 1);
                    obj.SetMember(key, value, start, Pos);
                    SkipSpace();
                    if (Pos >= _s.Length) throw Error("unterminated object");
                    if (_s[Pos] == ',') { Pos++; continue; }
                    if (_s[Pos] == '}') { Pos++; return obj; }
                    throw Error("expected ',' or '}'");
                }
            }

            private List<object> ReadArray(int depth)
            {
                var list = new List<object>();
                Pos++; // '['
                SkipSpace();
                if (Pos < _s.Length && _s[Pos] == ']') { Pos++; return list; }
                while (true)
                {
                    SkipSpace();
                    list.Add(ReadValue(depth + 1));
                    SkipSpace();
                    if (Pos >= _s.Length) throw Error("unterminated array");
                    if (_s[Pos] == ',') { Pos++; continue; }
                    if (_s[Pos] == ']') { Pos++; return list; }
                    throw Error("expected ',' or ']'");
                }
            }

            private string ReadString()
            {
                Pos++; // opening quote
                StringBuilder sb = null;
                int runStart = Pos;
                while (true)
                {
                    if (Pos >= _s.Length) throw Error("unterminated string");
                    char c = _s[Pos];
                    if (c == '"')
                    {
                        string tail = _s.Substring(runStart, Pos - runStart);
                        Pos++;
                        return sb == null ? tail : sb.Append(tail).ToString();
                    }
                    if (c < 0x20) throw Error("control character in string");
                    if (c != '\\') { Pos++; continue; }

                    if (sb == null) sb = new StringBuilder();
                    sb.Append(_s, runStart, Pos - runStart);
                    Pos++;
                    if (Pos >= _s.Length) throw Error("unterminated escape");
                    char e = _s[Pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (Pos + 4 > _s.Length) throw Error("short \\u escape");
                            int code;
                            if (!int.TryParse(_s.Substring(Pos, 4), NumberStyles.AllowHexSpecifier,
                                    CultureInfo.InvariantCulture, out code))
                                throw Error("bad \\u escape");
                            sb.Append((char)code);
                            Pos += 4;
                            break;
                        default:
                            throw Error("unknown escape '\\" + e + "'");
                    }
                    runStart = Pos;
                }
            }

            private static bool IsDigit(char c)
            {
                return c >= '0' && c <= '9';
            }

            private object ReadNumber()
            {
                int start = Pos;
                bool integral = true;
                if (_s[Pos] == '-') Pos++;
                int digits = Pos;
                while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                if (Pos == digits) throw Error("expected a digit");
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    integral = false;
                    Pos++;
                    int frac = Pos;
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                    if (Pos == frac) throw Error("expected a digit after '.'");
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    integral = false;
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    int exp = Pos;
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                    if (Pos == exp) throw Error("expected an exponent");
                }
                string text = _s.Substring(start, Pos - start);
                if (integral)
                {
                    long l;
                    if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                    ulong u;
                    if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out u)) return u;
                }
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }
    }
}

using System.Text;

namespace S3Slower.Collector.Http;

/// <summary>Walks the lines of an HTTP/1.x head: the start line, then one header per line, up to the empty line.</summary>
internal ref struct HttpHeadReader
{
    /// <summary>Set in every lower-case ASCII letter, clear in the upper-case ones.</summary>
    public const int AsciiCaseBit = 0x20;

    private ReadOnlySpan<byte> _rest;

    public HttpHeadReader(ReadOnlySpan<byte> head)
    {
        _rest = head;
        HeadLength = FindHeadEnd(head);
    }

    /// <summary>Bytes up to and including the blank line, or -1 when the head is not complete in the buffer.</summary>
    public int HeadLength { get; }

    public static int FindHeadEnd(ReadOnlySpan<byte> data)
    {
        int i = data.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    /// <summary>The next complete line (without CRLF); false at the blank line or when no complete line is left.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        // A search for one byte is several times cheaper than for the pair; a bare LF inside a line is passed over, so
        // only CRLF ends a line, as before.
        int end = -1;
        for (int from = 0; from < _rest.Length;)
        {
            int lf = _rest[from..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }

            lf += from;
            if (lf > 0 && _rest[lf - 1] == '\r')
            {
                end = lf - 1;
                break;
            }

            from = lf + 1;
        }

        if (end <= 0)
        {
            line = default;
            return false;
        }

        line = _rest[..end];
        _rest = _rest[(end + 2)..];
        return true;
    }

    /// <summary>Splits <c>Name: value</c>; false for a line without a colon or with an empty name.</summary>
    public static bool TrySplitHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            name = value = default;
            return false;
        }

        name = line[..colon].TrimEnd((byte)' ');
        value = line[(colon + 1)..].Trim(" \t"u8);
        return name.Length > 0;
    }

    /// <summary>
    /// Whether a header name is <paramref name="lowerCase"/>, ignoring case. Length and first letter are compared first:
    /// each head is matched against a dozen names per line, and those two tell nearly all of them apart.
    /// </summary>
    public static bool NameIs(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowerCase) =>
        name.Length == lowerCase.Length && (name.IsEmpty || (name[0] | AsciiCaseBit) == lowerCase[0]) && Ascii.EqualsIgnoreCase(name, lowerCase);

    /// <inheritdoc cref="NameIs(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public static bool NameIs(ReadOnlySpan<byte> name, string lowerCase) =>
        name.Length == lowerCase.Length && (name.IsEmpty || (name[0] | AsciiCaseBit) == lowerCase[0]) && Ascii.EqualsIgnoreCase(name, lowerCase);

    public static bool TryParseLong(ReadOnlySpan<byte> value, out long result)
    {
        result = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (byte b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            result = (result * 10) + (b - '0');
        }

        return true;
    }

    /// <summary>Latin-1 text of a header value, cut to <paramref name="max"/> characters and stripped of control characters.</summary>
    public static string ToText(ReadOnlySpan<byte> value, int max = 512)
    {
        if (value.Length > max)
        {
            value = value[..max];
        }

        // Heads are almost always clean: one vectorised scan and one string, no intermediate copy.
        if (value.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0 && value.IndexOf((byte)0x7f) < 0)
        {
            return Encoding.Latin1.GetString(value);
        }

        Span<char> text = value.Length <= 512 ? stackalloc char[value.Length] : new char[value.Length];
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            text[i] = b is < 0x20 or 0x7f ? '?' : (char)b;
        }

        return new string(text);
    }
}

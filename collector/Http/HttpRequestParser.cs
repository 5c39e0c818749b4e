using System.Text;

namespace S3Slower.Collector.Http;

/// <summary>Parses the captured start of a request (request line and headers) without trusting any length in it.</summary>
internal static class HttpRequestParser
{
    private const int MaxMethodLength = 16;
    private const int MaxKeptHeaders = 24;
    private const int MaxHostLength = 256;

    // The methods S3 clients send and the header names the classifier keeps, as the same strings every time.
    private static readonly string[] KnownMethods = ["GET", "PUT", "POST", "HEAD", "DELETE"];
    private static readonly string[] KnownNames =
        ["content-length", "content-type", "range", "content-md5", "x-amz-copy-source", "x-amz-copy-source-range", "x-amz-request-route"];

    /// <summary>Parses a request head; false when the bytes do not start with a valid HTTP/1.x request line.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out HttpRequestHead head) => TryParse(data, null, out head);

    /// <summary>
    /// Parses a request head; <paramref name="knownHost"/> (the connection's previous Host) is returned as the Host when
    /// the head names the same, instead of a new string.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, string? knownHost, out HttpRequestHead head)
    {
        head = default;
        var reader = new HttpHeadReader(data);
        if (!reader.TryReadLine(out ReadOnlySpan<byte> requestLine) || !TrySplitRequestLine(requestLine, out var method, out var target))
        {
            return false;
        }

        string host = "";
        long contentLength = -1;
        bool chunked = false, expectContinue = false, s3 = false;
        Dictionary<string, string>? kept = null;
        s3 |= HasPresignedSignature(target);

        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (!HttpHeadReader.TrySplitHeader(line, out var name, out var value))
            {
                continue;
            }

            if (HttpHeadReader.NameIs(name, "host"u8))
            {
                host = knownHost is not null && Ascii.Equals(value, knownHost) ? knownHost : HttpHeadReader.ToText(value, MaxHostLength);
            }
            else if (HttpHeadReader.NameIs(name, "authorization"u8))
            {
                s3 |= value.StartsWith("AWS4-HMAC-SHA256"u8) || value.StartsWith("AWS "u8);
                continue;
            }
            else if (HttpHeadReader.NameIs(name, "content-length"u8))
            {
                if (HttpHeadReader.TryParseLong(value, out long n))
                {
                    contentLength = n;
                }
            }
            else if (HttpHeadReader.NameIs(name, "transfer-encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8) || value.EndsWith("chunked"u8);
            }
            else if (HttpHeadReader.NameIs(name, "expect"u8))
            {
                expectContinue = Ascii.EqualsIgnoreCase(value, "100-continue"u8);
            }

            bool amz = IsAmzHeader(name);
            s3 |= amz;
            if (ShouldKeep(name, amz) && (kept ??= new Dictionary<string, string>(StringComparer.Ordinal)).Count < MaxKeptHeaders)
            {
                kept[LowerName(name)] = HttpHeadReader.ToText(value);
            }
        }

        head = new HttpRequestHead
        {
            Method = MethodName(method),
            Target = Redactor.RedactTarget(target),
            Host = host,
            HeadLength = reader.HeadLength < 0 ? data.Length : reader.HeadLength,
            Truncated = reader.HeadLength < 0,
            ContentLength = contentLength,
            Chunked = chunked,
            ExpectContinue = expectContinue,
            LooksLikeS3 = s3,
            Headers = kept ?? HttpRequestHead.EmptyHeaders,
        };
        return true;
    }

    private static string MethodName(ReadOnlySpan<byte> method)
    {
        foreach (string known in KnownMethods)
        {
            if (Ascii.Equals(method, known))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(method);
    }

    private static string LowerName(ReadOnlySpan<byte> name)
    {
        foreach (string known in KnownNames)
        {
            if (name.Length == known.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(name).ToLowerInvariant();
    }

    private static bool TrySplitRequestLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> method, out ReadOnlySpan<byte> target)
    {
        method = target = default;
        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0 || sp1 > MaxMethodLength)
        {
            return false;
        }

        method = line[..sp1];
        foreach (byte b in method)
        {
            if (b is < (byte)'A' or > (byte)'Z')
            {
                return false;
            }
        }

        ReadOnlySpan<byte> rest = line[(sp1 + 1)..];
        int sp2 = rest.LastIndexOf((byte)' ');
        if (sp2 <= 0 || !rest[(sp2 + 1)..].StartsWith("HTTP/1."u8))
        {
            return false;
        }

        target = rest[..sp2];
        return true;
    }

    private static bool HasPresignedSignature(ReadOnlySpan<byte> target)
    {
        int q = target.IndexOf((byte)'?');
        if (q < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> query = target[(q + 1)..];
        return IndexOfIgnoreCase(query, "x-amz-signature="u8) >= 0 || (IndexOfIgnoreCase(query, "signature="u8) >= 0 && IndexOfIgnoreCase(query, "awsaccesskeyid="u8) >= 0);
    }

    internal static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerNeedle)
    {
        for (int i = 0; i + lowerNeedle.Length <= haystack.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(haystack.Slice(i, lowerNeedle.Length), lowerNeedle))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsAmzHeader(ReadOnlySpan<byte> name) => name.Length > 6 && (name[0] | HttpHeadReader.AsciiCaseBit) == 'x' && Ascii.EqualsIgnoreCase(name[..6], "x-amz-"u8);

    /// <summary>Headers the classifier may use; user metadata, dates and hashes stay behind.</summary>
    private static bool ShouldKeep(ReadOnlySpan<byte> name, bool amz)
    {
        if (Redactor.IsSensitiveHeader(name))
        {
            return false;
        }

        if (HttpHeadReader.NameIs(name, "content-length"u8) || HttpHeadReader.NameIs(name, "content-type"u8) ||
            HttpHeadReader.NameIs(name, "range"u8) || HttpHeadReader.NameIs(name, "content-md5"u8))
        {
            return true;
        }

        if (!amz)
        {
            return false;
        }

        ReadOnlySpan<byte> suffix = name[6..];
        return !(suffix.Length >= 5 && Ascii.EqualsIgnoreCase(suffix[..5], "meta-"u8)) &&
               !HttpHeadReader.NameIs(suffix, "date"u8) && !HttpHeadReader.NameIs(suffix, "content-sha256"u8) &&
               !HttpHeadReader.NameIs(suffix, "user-agent"u8);
    }
}

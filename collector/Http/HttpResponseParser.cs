using System.Text;

namespace S3Slower.Collector.Http;

/// <summary>Parses a captured response head and finds the S3 error code at the start of an error body.</summary>
internal static class HttpResponseParser
{
    private const int MaxErrorCodeLength = 64;

    /// <summary>Parses a response head; false when the bytes do not start with an HTTP/1.x status line.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out HttpResponseHead head)
    {
        head = default;
        var reader = new HttpHeadReader(data);
        if (!reader.TryReadLine(out ReadOnlySpan<byte> statusLine) || !TryParseStatus(statusLine, out int status))
        {
            return false;
        }

        long contentLength = -1;
        bool chunked = false, close = false;
        string? requestId = null, amzId2 = null;
        while (reader.TryReadLine(out ReadOnlySpan<byte> line))
        {
            if (!HttpHeadReader.TrySplitHeader(line, out var name, out var value))
            {
                continue;
            }

            if (HttpHeadReader.NameIs(name, "content-length"u8))
            {
                if (HttpHeadReader.TryParseLong(value, out long n))
                {
                    contentLength = n;
                }
            }
            else if (HttpHeadReader.NameIs(name, "transfer-encoding"u8))
            {
                chunked = value.EndsWith("chunked"u8) || Ascii.EqualsIgnoreCase(value, "chunked"u8);
            }
            else if (HttpHeadReader.NameIs(name, "connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
            else if (HttpHeadReader.NameIs(name, "x-amz-request-id"u8))
            {
                requestId = HttpHeadReader.ToText(value, 128);
            }
            else if (HttpHeadReader.NameIs(name, "x-amz-id-2"u8))
            {
                amzId2 = HttpHeadReader.ToText(value, 256);
            }
        }

        head = new HttpResponseHead
        {
            Status = status,
            HeadLength = reader.HeadLength < 0 ? data.Length : reader.HeadLength,
            Truncated = reader.HeadLength < 0,
            ContentLength = contentLength,
            Chunked = chunked,
            ConnectionClose = close,
            RequestId = requestId,
            AmzId2 = amzId2,
        };
        return true;
    }

    /// <summary>True when the bytes begin like a status line (enough to tell a response from unrelated data).</summary>
    public static bool LooksLikeStatusLine(ReadOnlySpan<byte> data) => data.StartsWith("HTTP/1."u8);

    private static bool TryParseStatus(ReadOnlySpan<byte> line, out int status)
    {
        status = 0;
        // "HTTP/1.1 200" at least
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' ')
        {
            return false;
        }

        for (int i = 9; i < 12; i++)
        {
            byte b = line[i];
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            status = (status * 10) + (b - '0');
        }

        return status >= 100 && (line.Length == 12 || line[12] == (byte)' ');
    }

    /// <summary>The <c>&lt;Code&gt;</c> of an S3 XML error body, if its start holds one.</summary>
    public static string? FindErrorCode(ReadOnlySpan<byte> body)
    {
        int start = body.IndexOf("<Code>"u8);
        if (start < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> rest = body[(start + 6)..];
        int end = rest.IndexOf("</Code>"u8);
        if (end <= 0 || end > MaxErrorCodeLength)
        {
            return null;
        }

        ReadOnlySpan<byte> code = rest[..end];
        foreach (byte b in code)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'_' or (byte)'-'))
            {
                return null;
            }
        }

        return Encoding.ASCII.GetString(code);
    }
}

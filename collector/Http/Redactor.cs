using System.Text;

namespace S3Slower.Collector.Http;

/// <summary>Removes credentials from request targets and headers before anything leaves the collector.</summary>
internal static class Redactor
{
    // Lower case: HttpHeadReader.NameIs tests a name's first letter against them before the case-insensitive compare.
    private static readonly string[] SensitiveQueryNames =
    [
        "x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature", "awsaccesskeyid",
    ];

    private static readonly string[] SensitiveHeaderNames =
    [
        "authorization", "proxy-authorization", "cookie", "set-cookie",
        "x-amz-security-token", "x-amz-credential", "x-amz-signature",
    ];

    /// <summary>True for a header whose value must never be copied out (compared case-insensitively).</summary>
    public static bool IsSensitiveHeader(ReadOnlySpan<byte> name)
    {
        foreach (string sensitive in SensitiveHeaderNames)
        {
            if (HttpHeadReader.NameIs(name, sensitive))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for a query parameter name that carries a credential or a signature.</summary>
    public static bool IsSensitiveQueryName(ReadOnlySpan<byte> name)
    {
        foreach (string sensitive in SensitiveQueryNames)
        {
            if (HttpHeadReader.NameIs(name, sensitive))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The target (path and query) with every sensitive query parameter removed.</summary>
    public static string RedactTarget(ReadOnlySpan<byte> target)
    {
        int q = target.IndexOf((byte)'?');
        if (q < 0)
        {
            return HttpHeadReader.ToText(target, 4096);
        }

        var kept = new StringBuilder(target.Length);
        kept.Append(HttpHeadReader.ToText(target[..q], 4096));
        ReadOnlySpan<byte> query = target[(q + 1)..];
        bool first = true;
        while (!query.IsEmpty)
        {
            int amp = query.IndexOf((byte)'&');
            ReadOnlySpan<byte> pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? default : query[(amp + 1)..];
            int eq = pair.IndexOf((byte)'=');
            ReadOnlySpan<byte> name = eq < 0 ? pair : pair[..eq];
            if (pair.IsEmpty || IsSensitiveQueryName(name))
            {
                continue;
            }

            kept.Append(first ? '?' : '&').Append(HttpHeadReader.ToText(pair, 4096));
            first = false;
        }

        return kept.ToString();
    }

    /// <summary>Same as <see cref="RedactTarget(ReadOnlySpan{byte})"/> for a target already decoded to text.</summary>
    public static string RedactTarget(string target) => RedactTarget(Encoding.Latin1.GetBytes(target));
}

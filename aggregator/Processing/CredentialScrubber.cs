using System.Buffers;
using System.Collections.Frozen;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// The aggregator's second line of defence: the collector strips credentials, but whatever slipped through (an older
/// collector, a client that spells a parameter oddly) is removed here before classification, so no output can carry it.
/// Returns the input instance when there is nothing to remove, which is the common case and allocates nothing.
/// </summary>
public static class CredentialScrubber
{
    // SigV4 presign parameters, SigV2 presign parameters, and the session token that rides with either.
    private static readonly string[] SecretQueryParameters =
        ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "AWSAccessKeyId", "x-amz-security-token"];

    private static readonly FrozenSet<string> SecretHeaders = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "authorization", "proxy-authorization", "x-amz-security-token", "cookie", "set-cookie", "x-amz-server-side-encryption-customer-key");

    // One vectorised pass over the query instead of four case-insensitive scans: this runs for every request.
    private static readonly SearchValues<string> SecretHints =
        SearchValues.Create(["signature", "credential", "token", "accesskey", "%"], StringComparison.OrdinalIgnoreCase);

    public static string ScrubTarget(string target)
    {
        int q = target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0 || !MayHoldSecret(target.AsSpan(q)))
        {
            return target;
        }

        var kept = new List<string>();
        foreach (string part in target[(q + 1)..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            if (!SecretQueryParameters.Any(s => s.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                kept.Add(part);
            }
        }

        return kept.Count == 0 ? target[..q] : target[..(q + 1)] + string.Join('&', kept);
    }

    public static IReadOnlyDictionary<string, string>? ScrubHeaders(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || !AnySecret(headers))
        {
            return headers;
        }

        return headers.Where(h => !IsSecretHeader(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
    }

    private static bool AnySecret(IReadOnlyDictionary<string, string> headers)
    {
        foreach (var header in headers)
        {
            if (IsSecretHeader(header.Key))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSecretHeader(string name) => SecretHeaders.Contains(name);

    private static bool MayHoldSecret(ReadOnlySpan<char> query) => query.ContainsAny(SecretHints);
}

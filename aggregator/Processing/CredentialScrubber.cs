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
        ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "AWSAccessKeyId"];

    private static readonly FrozenSet<string> SecretHeaders = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "authorization", "proxy-authorization", "x-amz-security-token", "cookie", "set-cookie", "x-amz-server-side-encryption-customer-key");

    public static string ScrubTarget(string target) => TryScrubTarget(target, out string? scrubbed) ? scrubbed : target;

    /// <summary>The target without secret query parameters; false (and no allocation) when it has none.</summary>
    public static bool TryScrubTarget(ReadOnlySpan<char> target, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? scrubbed)
    {
        scrubbed = null;
        int q = target.IndexOf('?');
        if (q < 0 || !AnyNameMayBeSecret(target[(q + 1)..]))
        {
            return false;
        }

        var kept = new List<string>();
        foreach (string part in new string(target[(q + 1)..]).Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string name = Uri.UnescapeDataString(eq < 0 ? part : part[..eq]);
            if (!IsSecretName(name))
            {
                kept.Add(part);
            }
        }

        if (kept.Count == target[(q + 1)..].Count('&') + 1)
        {
            // An escaped name that decodes to no secret.
            return false;
        }

        scrubbed = kept.Count == 0 ? new string(target[..q]) : string.Concat(target[..(q + 1)], string.Join('&', kept));
        return true;
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
        // The decoder's dictionaries are enumerated without boxing their enumerator: this runs for every request.
        if (headers is Dictionary<string, string> dictionary)
        {
            foreach (string name in dictionary.Keys)
            {
                if (IsSecretHeader(name))
                {
                    return true;
                }
            }

            return false;
        }

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

    // Names only, compared whole: values hold '%' (the encoded prefix of most ListObjects calls) and names such as
    // continuation-token look like secrets to a substring search; either would send every such request down the slow
    // path. A name with an escape is decoded there.
    private static bool AnyNameMayBeSecret(ReadOnlySpan<char> query)
    {
        foreach (var range in query.Split('&'))
        {
            var parameter = query[range];
            int eq = parameter.IndexOf('=');
            var name = eq < 0 ? parameter : parameter[..eq];
            if (name.Contains('%') || IsSecretName(name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSecretName(ReadOnlySpan<char> name)
    {
        foreach (string secret in SecretQueryParameters)
        {
            if (name.Equals(secret, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

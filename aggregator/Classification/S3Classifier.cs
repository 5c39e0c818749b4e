using System.Runtime.CompilerServices;

namespace S3Slower.Aggregator.Classification;

/// <summary>
/// Names the S3 API operation of an HTTP request from its method, request target, Host and a few headers,
/// and extracts bucket, key and part number. One instance serves every thread: its only mutable state is a cache of
/// parsed Host headers whose entries are replaced whole.
/// </summary>
public sealed class S3Classifier
{
    public const string Unknown = "Unknown";
    public const string WriteGetObjectResponse = "WriteGetObjectResponse";

    private const string CopySourceHeader = "x-amz-copy-source";
    private const string ContentTypeHeader = "content-type";
    private const string RequestRouteHeader = "x-amz-request-route";
    private const string WriteGetObjectResponsePath = "/WriteGetObjectResponse";
    private const string WriteGetObjectResponseRule = "POST /WriteGetObjectResponse @s3-object-lambda";

    // Slots of a small cache of parsed Host headers, keyed by the string instance: the decoder hands the same instance
    // for every request of a host, so the suffix matching runs once per host, not once per request.
    private const int HostCacheSlots = 256;

    /// <summary>The only headers whose values classification reads (a caller may leave the others' values empty).</summary>
    public static readonly System.Collections.Frozen.FrozenSet<string> HeadersRead =
        System.Collections.Frozen.FrozenSet.Create(StringComparer.Ordinal, CopySourceHeader, ContentTypeHeader, RequestRouteHeader);

    private readonly string[] _endpointSuffixes;
    private readonly HostEntry?[] _hosts = new HostEntry?[HostCacheSlots];

    /// <param name="endpointSuffixes">
    /// Hosts of S3-compatible services that accept virtual-hosted-style requests, e.g. <c>minio.local:9000</c>
    /// makes <c>bkt.minio.local:9000</c> bucket <c>bkt</c>. Amazon's own host names need no entry.
    /// </param>
    public S3Classifier(IReadOnlyList<string>? endpointSuffixes = null)
    {
        _endpointSuffixes = endpointSuffixes is null
            ? []
            : [.. endpointSuffixes.Select(s => s.Trim().TrimStart('.')).Where(s => s.Length > 0)];
    }

    /// <summary>
    /// Classifies one request. Without <see cref="S3RequestParts.Key"/> (or <see cref="S3RequestParts.Bucket"/>) in
    /// <c>parts</c> the result's Key (Bucket) is null, which saves decoding them when only the operation is counted.
    /// </summary>
    public S3Request Classify(string method, string target, string? host, IReadOnlyDictionary<string, string>? headers,
        S3RequestParts parts = S3RequestParts.All)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Classify(method, target.AsSpan(), host, headers, parts);
    }

    /// <summary>As above, for a target that is not a string (the counting path decodes it into a reused buffer).</summary>
    public S3Request Classify(string method, ReadOnlySpan<char> target, string? host, IReadOnlyDictionary<string, string>? headers,
        S3RequestParts parts = S3RequestParts.All)
    {
        ArgumentNullException.ThrowIfNull(method);

        ReadOnlySpan<char> rest = target;
        string? endpoint = host;
        if (TryStripAbsoluteForm(ref rest, out ReadOnlySpan<char> authority) && endpoint is null && !authority.IsEmpty)
        {
            endpoint = new string(authority);
        }

        if (!TryParseVerb(method, out HttpVerb verb))
        {
            return UnknownRequest(endpoint, $"unsupported method {method}");
        }

        if (rest.IsEmpty || rest[0] != '/')
        {
            return UnknownRequest(endpoint, "request target is not a path");
        }

        int hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            rest = rest[..hash];
        }

        int question = rest.IndexOf('?');
        ReadOnlySpan<char> path = question < 0 ? rest : rest[..question];
        QueryFacts query = QueryFacts.Parse(question < 0 ? [] : rest[(question + 1)..]);

        HostFacts hostFacts = ParseHost(endpoint);
        if (hostFacts.Kind == EndpointKind.NotS3)
        {
            return UnknownRequest(endpoint, "host is an AWS endpoint of another API than S3");
        }

        if (verb == HttpVerb.Post && path.SequenceEqual(WriteGetObjectResponsePath)
            && (hostFacts.Kind == EndpointKind.ObjectLambda || HasHeader(headers, RequestRouteHeader)))
        {
            return new S3Request(WriteGetObjectResponse, null, null, null, endpoint, WriteGetObjectResponseRule);
        }

        if (query.Problem is not null)
        {
            return UnknownRequest(endpoint, query.Problem);
        }

        if (!TrySplitPath(path, hostFacts.Bucket is not null, out var rawBucket, out var rawKey, out RequestLevel level))
        {
            return UnknownRequest(endpoint, "empty bucket name in path");
        }

        string? bucket = level == RequestLevel.Service || (parts & S3RequestParts.Bucket) == 0 ? null
            : hostFacts.Bucket ?? KeyDecoder.Decode(rawBucket);
        string? key = level != RequestLevel.Object || (parts & S3RequestParts.Key) == 0 ? null : KeyDecoder.Decode(rawKey);
        RequestSignal signals = query.Signals | HeaderSignals(headers) | HostSignals(hostFacts.Kind);
        ClassificationRule? rule = RuleTable.Match(verb, level, query.SubResource, signals);
        if (rule is null)
        {
            return new S3Request(Unknown, bucket, key, query.PartNumber, endpoint, $"no S3 operation for {method} {Describe(level, query.SubResource)}");
        }

        return new S3Request(rule.Operation, bucket, key, query.PartNumber, endpoint, rule.Text);
    }

    private static S3Request UnknownRequest(string? endpoint, string why) => new(Unknown, null, null, null, endpoint, why);

    private static string Describe(RequestLevel level, SubResource subResource) =>
        subResource == SubResource.None
            ? level.ToString().ToLowerInvariant()
            : $"{level.ToString().ToLowerInvariant()} ?{QueryParameterTable.NameOf(subResource)}";

    /// <summary>Requests through a proxy carry an absolute URI (<c>http://host/path</c>); keep the path and the authority.</summary>
    private static bool TryStripAbsoluteForm(ref ReadOnlySpan<char> target, out ReadOnlySpan<char> authority)
    {
        authority = [];
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0 || target[0] == '/')
        {
            return false;
        }

        ReadOnlySpan<char> afterScheme = target[(scheme + 3)..];
        int pathStart = afterScheme.IndexOfAny('/', '?');
        authority = pathStart < 0 ? afterScheme : afterScheme[..pathStart];
        target = pathStart < 0 ? "/" : afterScheme[pathStart] == '?' ? string.Concat("/", afterScheme[pathStart..]) : afterScheme[pathStart..];
        return true;
    }

    private static bool TryParseVerb(string method, out HttpVerb verb)
    {
        switch (method)
        {
            case "GET": verb = HttpVerb.Get; return true;
            case "PUT": verb = HttpVerb.Put; return true;
            case "POST": verb = HttpVerb.Post; return true;
            case "DELETE": verb = HttpVerb.Delete; return true;
            case "HEAD": verb = HttpVerb.Head; return true;
            default: verb = default; return false;
        }
    }

    /// <summary>
    /// Path-style requests carry the bucket as the first segment; virtual-hosted ones carry it in the host and the
    /// whole path is the key. An empty key (<c>/bucket/</c>) addresses the bucket. Returns the raw (still encoded) parts.
    /// </summary>
    private static bool TrySplitPath(
        ReadOnlySpan<char> path, bool bucketInHost, out ReadOnlySpan<char> rawBucket, out ReadOnlySpan<char> rawKey, out RequestLevel level)
    {
        ReadOnlySpan<char> afterSlash = path[1..];
        rawBucket = [];
        if (bucketInHost)
        {
            rawKey = afterSlash;
        }
        else if (afterSlash.IsEmpty)
        {
            rawKey = [];
            level = RequestLevel.Service;
            return true;
        }
        else
        {
            int slash = afterSlash.IndexOf('/');
            rawBucket = slash < 0 ? afterSlash : afterSlash[..slash];
            rawKey = slash < 0 ? [] : afterSlash[(slash + 1)..];
            if (rawBucket.IsEmpty)
            {
                level = RequestLevel.Service;
                return false;
            }
        }

        level = rawKey.IsEmpty ? RequestLevel.Bucket : RequestLevel.Object;
        return true;
    }

    private HostFacts ParseHost(string? host)
    {
        if (host is null)
        {
            return HostFacts.Parse(host, _endpointSuffixes);
        }

        ref HostEntry? slot = ref _hosts[RuntimeHelpers.GetHashCode(host) & (HostCacheSlots - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is null || !ReferenceEquals(entry.Host, host))
        {
            // Entries are immutable and replaced whole, so threads racing on a slot each see a consistent one.
            entry = new HostEntry(host, HostFacts.Parse(host, _endpointSuffixes));
            Volatile.Write(ref slot, entry);
        }

        return entry.Facts;
    }

    private sealed record HostEntry(string Host, HostFacts Facts);

    private static RequestSignal HeaderSignals(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return RequestSignal.None;
        }

        RequestSignal signals = RequestSignal.None;
        if (headers.TryGetValue(CopySourceHeader, out string? copySource) && !string.IsNullOrWhiteSpace(copySource))
        {
            signals |= RequestSignal.CopySource;
        }

        if (headers.TryGetValue(ContentTypeHeader, out string? contentType)
            && contentType.AsSpan().TrimStart().StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            signals |= RequestSignal.FormUpload;
        }

        return signals;
    }

    private static RequestSignal HostSignals(EndpointKind kind) =>
        kind == EndpointKind.ExpressControl ? RequestSignal.ExpressControlEndpoint : RequestSignal.None;

    private static bool HasHeader(IReadOnlyDictionary<string, string>? headers, string name) =>
        headers is not null && headers.ContainsKey(name);
}

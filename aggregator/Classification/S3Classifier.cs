namespace S3Slower.Aggregator.Classification;

/// <summary>
/// Names the S3 API operation of an HTTP request from its method, request target, Host and a few headers,
/// and extracts bucket, key and part number. Immutable, so one instance serves every thread.
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

    private readonly string[] _endpointSuffixes;

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

    public S3Request Classify(string method, string target, string? host, IReadOnlyDictionary<string, string>? headers)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(target);

        ReadOnlySpan<char> rest = target.AsSpan();
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

        HostFacts hostFacts = HostFacts.Parse(endpoint, _endpointSuffixes);
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

        if (!TrySplitPath(path, hostFacts.Bucket, out string? bucket, out string? key))
        {
            return UnknownRequest(endpoint, "empty bucket name in path");
        }

        RequestLevel level = bucket is null ? RequestLevel.Service : key is null ? RequestLevel.Bucket : RequestLevel.Object;
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
    /// whole path is the key. An empty key (<c>/bucket/</c>) addresses the bucket.
    /// </summary>
    private static bool TrySplitPath(ReadOnlySpan<char> path, string? hostBucket, out string? bucket, out string? key)
    {
        ReadOnlySpan<char> afterSlash = path[1..];
        ReadOnlySpan<char> rawKey;
        if (hostBucket is not null)
        {
            bucket = hostBucket;
            rawKey = afterSlash;
        }
        else if (afterSlash.IsEmpty)
        {
            bucket = null;
            key = null;
            return true;
        }
        else
        {
            int slash = afterSlash.IndexOf('/');
            ReadOnlySpan<char> rawBucket = slash < 0 ? afterSlash : afterSlash[..slash];
            rawKey = slash < 0 ? [] : afterSlash[(slash + 1)..];
            if (rawBucket.IsEmpty)
            {
                bucket = null;
                key = null;
                return false;
            }

            bucket = KeyDecoder.Decode(rawBucket);
        }

        key = rawKey.IsEmpty ? null : KeyDecoder.Decode(rawKey);
        return true;
    }

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

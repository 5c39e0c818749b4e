namespace S3Slower.Aggregator.Classification;

/// <summary>What the Host header says: the endpoint kind and, for virtual-hosted-style requests, the bucket.</summary>
internal readonly record struct HostFacts(EndpointKind Kind, string? Bucket)
{
    private const string AwsSuffix = ".amazonaws.com";
    private const string AwsChinaSuffix = ".amazonaws.com.cn";

    /// <summary>
    /// Reads a Host header. Custom suffixes are tried first (a suffix with a port matches only that port; one
    /// without matches any); then Amazon's host names, where the bucket is everything left of the S3 service label
    /// (<c>s3</c>, <c>s3-REGION</c>, <c>s3-accelerate</c>, <c>s3express-AZ</c>, …). Bucket names may contain dots,
    /// so the service label is searched from the right.
    /// </summary>
    public static HostFacts Parse(string? host, IReadOnlyList<string> endpointSuffixes)
    {
        if (string.IsNullOrEmpty(host))
        {
            return new HostFacts(EndpointKind.Generic, null);
        }

        ReadOnlySpan<char> full = host.AsSpan();
        ReadOnlySpan<char> name = StripPort(full).TrimEnd('.');

        for (int i = 0; i < endpointSuffixes.Count; i++)
        {
            string suffix = endpointSuffixes[i];
            ReadOnlySpan<char> candidate = suffix.Contains(':', StringComparison.Ordinal) ? full : name;
            if (candidate.Equals(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return new HostFacts(EndpointKind.S3, null);
            }

            if (candidate.Length > suffix.Length + 1
                && candidate.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && candidate[candidate.Length - suffix.Length - 1] == '.')
            {
                return new HostFacts(EndpointKind.S3, new string(candidate[..(candidate.Length - suffix.Length - 1)]));
            }
        }

        ReadOnlySpan<char> labels;
        if (name.EndsWith(AwsSuffix, StringComparison.OrdinalIgnoreCase))
        {
            labels = name[..^AwsSuffix.Length];
        }
        else if (name.EndsWith(AwsChinaSuffix, StringComparison.OrdinalIgnoreCase))
        {
            labels = name[..^AwsChinaSuffix.Length];
        }
        else
        {
            return new HostFacts(EndpointKind.Generic, null);
        }

        return ParseAws(labels);
    }

    private static HostFacts ParseAws(ReadOnlySpan<char> labels)
    {
        int end = labels.Length;
        while (end > 0)
        {
            int dot = labels[..end].LastIndexOf('.');
            ReadOnlySpan<char> label = labels[(dot + 1)..end];
            if (IsS3ServiceLabel(label))
            {
                EndpointKind kind = KindOf(label);
                ReadOnlySpan<char> bucket = dot < 0 ? [] : labels[..dot];
                bucket = DropVpcEndpointLabel(bucket);
                return kind is EndpointKind.NotS3 or EndpointKind.ExpressControl || bucket.IsEmpty
                    ? new HostFacts(kind, null)
                    : new HostFacts(kind, new string(bucket));
            }

            end = dot < 0 ? 0 : dot;
        }

        return new HostFacts(EndpointKind.NotS3, null);
    }

    private static bool IsS3ServiceLabel(ReadOnlySpan<char> label) =>
        label.Equals("s3", StringComparison.OrdinalIgnoreCase)
        || label.StartsWith("s3-", StringComparison.OrdinalIgnoreCase)
        || label.StartsWith("s3express-", StringComparison.OrdinalIgnoreCase);

    private static EndpointKind KindOf(ReadOnlySpan<char> label)
    {
        if (label.Equals("s3-control", StringComparison.OrdinalIgnoreCase))
        {
            return EndpointKind.NotS3;
        }

        if (label.Equals("s3express-control", StringComparison.OrdinalIgnoreCase))
        {
            return EndpointKind.ExpressControl;
        }

        return label.Equals("s3-object-lambda", StringComparison.OrdinalIgnoreCase) ? EndpointKind.ObjectLambda : EndpointKind.S3;
    }

    // Interface endpoints put an endpoint id between the bucket and the service: bucket.vpce-1a2b-3c4d.s3.REGION.vpce.amazonaws.com
    private static ReadOnlySpan<char> DropVpcEndpointLabel(ReadOnlySpan<char> bucket)
    {
        int dot = bucket.LastIndexOf('.');
        ReadOnlySpan<char> last = bucket[(dot + 1)..];
        if (!last.StartsWith("vpce-", StringComparison.OrdinalIgnoreCase))
        {
            return bucket;
        }

        return dot < 0 ? [] : bucket[..dot];
    }

    private static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        int colon = host.LastIndexOf(':');
        // "[::1]" has colons inside the brackets and no port.
        return colon < 0 || host[colon..].Contains(']') ? host : host[..colon];
    }
}

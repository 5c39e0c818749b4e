using S3Slower.Aggregator.Classification;

namespace S3Slower.Tests.Classification;

/// <summary>
/// Proves against botocore's S3 model that every S3 operation, sent the way an SDK sends it, is classified by its name.
/// Fails (never skips) when python3 or botocore is missing: CI installs them.
/// </summary>
public sealed class BotocoreModelTests
{
    private const string Bucket = "amzn-s3-demo-bucket";
    private const string DirectoryBucket = "demo--usw2-az1--x-s3";
    private const string Key = "photos/2024 summer/ünïcödé+plus%percent 😀.jpg";
    private const int PartNumber = 3;

    /// <summary>
    /// Operations whose request is identical on the wire to another one's: deprecated names superseded by a current
    /// operation with the same method, URI and parameters (only the XML body schema differs). The classifier reports the
    /// current name; <see cref="Exceptions_are_really_indistinguishable"/> checks each claim against the model.
    /// </summary>
    internal static readonly Dictionary<string, (string ClassifiedAs, string Reason)> Exceptions = new(StringComparer.Ordinal)
    {
        ["GetBucketLifecycle"] = ("GetBucketLifecycleConfiguration", "deprecated; the same GET ?lifecycle request"),
        ["PutBucketLifecycle"] = ("PutBucketLifecycleConfiguration", "deprecated; the same PUT ?lifecycle request, older body schema"),
        ["GetBucketNotification"] = ("GetBucketNotificationConfiguration", "deprecated; the same GET ?notification request"),
        ["PutBucketNotification"] = ("PutBucketNotificationConfiguration", "deprecated; the same PUT ?notification request, older body schema"),
    };

    /// <summary>Operations in the rule table that the SDK model does not list, and why.</summary>
    private static readonly Dictionary<string, string> s_beyondModel = new(StringComparer.Ordinal)
    {
        ["PostObject"] = "browser form upload (POST bucket, multipart/form-data) from the S3 REST API reference; SDKs never send it",
    };

    private readonly S3Classifier _classifier = new();

    [Fact]
    public void Model_lists_the_whole_s3_api()
    {
        BotocoreS3Model model = BotocoreS3Model.Instance;
        Assert.True(model.Operations.Count >= 100, $"{model.Path} lists only {model.Operations.Count} operations");
        Assert.Contains(model.Operations, o => o.Name == "UploadPartCopy");
    }

    [Fact]
    public void Every_model_operation_is_classified_by_its_name()
    {
        var failures = new List<string>();
        int checkedRequests = 0;
        foreach (ModelOperation op in BotocoreS3Model.Instance.Operations)
        {
            string expected = Exceptions.TryGetValue(op.Name, out var exception) ? exception.ClassifiedAs : op.Name;
            foreach (SampleRequest request in SampleRequests(op))
            {
                checkedRequests++;
                S3Request result = _classifier.Classify(request.Method, request.Target, request.Host, request.Headers);
                string? problem =
                    result.Operation != expected ? $"operation {result.Operation}, expected {expected}"
                    : result.Bucket != request.ExpectedBucket ? $"bucket '{result.Bucket}', expected '{request.ExpectedBucket}'"
                    : result.Key != request.ExpectedKey ? $"key '{result.Key}', expected '{request.ExpectedKey}'"
                    : result.PartNumber != request.ExpectedPartNumber ? $"part {result.PartNumber}, expected {request.ExpectedPartNumber}"
                    : result.Endpoint != request.Host ? $"endpoint {result.Endpoint}, expected {request.Host}"
                    : null;
                if (problem is not null)
                {
                    failures.Add($"{op}: {request.Method} {request.Host}{request.Target} -> {problem} (rule: {result.Rule})");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedRequests} requests misclassified:\n{string.Join('\n', failures)}");
        Assert.True(checkedRequests > 3 * BotocoreS3Model.Instance.Operations.Count, $"only {checkedRequests} requests checked");
    }

    [Fact]
    public void Exceptions_are_really_indistinguishable()
    {
        var byName = BotocoreS3Model.Instance.Operations.ToDictionary(o => o.Name, StringComparer.Ordinal);
        foreach ((string name, (string classifiedAs, string reason)) in Exceptions)
        {
            Assert.True(byName.TryGetValue(name, out ModelOperation? op), $"{name} ({reason}) is no longer in the model");
            ModelOperation current = byName[classifiedAs];
            Assert.True(op.Deprecated, $"{name} is not deprecated any more; it needs its own rule");
            Assert.Equal((current.Method, current.RequestUri), (op.Method, op.RequestUri));
            Assert.Equal(current.RequiredQuery, op.RequiredQuery);
            Assert.Equal(current.RequiredHeaders, op.RequiredHeaders);
        }
    }

    [Fact]
    public void Rule_table_names_only_real_operations()
    {
        var modelNames = BotocoreS3Model.Instance.Operations.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (ClassificationRule rule in RuleTable.All)
        {
            Assert.True(
                modelNames.Contains(rule.Operation) || s_beyondModel.ContainsKey(rule.Operation),
                $"rule '{rule.Text}' names {rule.Operation}, which the S3 model does not have");
        }
    }

    [Fact]
    public void No_two_rules_claim_the_same_request()
    {
        var duplicates = RuleTable.All
            .GroupBy(r => (r.Verb, r.Level, r.SubResource, r.Required))
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(", ", g.Select(r => r.Operation)))
            .ToList();
        Assert.Empty(duplicates);
        Assert.Equal(RuleTable.All.Count, RuleTable.All.Select(r => r.Text).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>
    /// The requests an SDK would send for an operation: path-style and virtual-hosted-style, bare, with every optional
    /// query parameter, and presigned. Operations the model pins to a special endpoint are sent there only.
    /// </summary>
    private static IEnumerable<SampleRequest> SampleRequests(ModelOperation op)
    {
        string[] uri = op.RequestUri.Split('?', 2);
        string pathTemplate = uri[0];
        string uriQuery = uri.Length > 1 ? uri[1] : string.Empty;
        var headers = op.RequiredHeaders.ToDictionary(h => h, h => h == "x-amz-copy-source" ? $"{Bucket}/source%20key" : "v", StringComparer.Ordinal);
        int? part = op.RequiredQuery.Contains("partNumber") ? PartNumber : null;
        string? key = op.HasKey ? Key : null;

        string[] queries =
        [
            JoinQuery(uriQuery, op.RequiredQuery),
            JoinQuery(uriQuery, [.. op.RequiredQuery, .. op.OptionalQuery]),
            JoinQuery(uriQuery, op.RequiredQuery) + (uriQuery.Length + op.RequiredQuery.Count > 0 ? "&" : string.Empty) + Presigned,
        ];

        foreach (string query in queries)
        {
            int? expectedPart = query.Contains("partNumber=", StringComparison.Ordinal) ? PartNumber : part;
            string suffix = query.Length > 0 ? "?" + query : string.Empty;
            if (op.HostPrefix is not null)
            {
                string baseHost = op.StaticContextParams.Contains("UseObjectLambdaEndpoint") ? "s3-object-lambda.us-east-1.amazonaws.com" : "s3.us-east-1.amazonaws.com";
                yield return new(op.Method, FillPath(pathTemplate, Bucket) + suffix, op.HostPrefix.Replace("{RequestRoute}", "route-1", StringComparison.Ordinal) + baseHost, headers, null, key, expectedPart);
                continue;
            }

            if (op.StaticContextParams.Contains("UseS3ExpressControlEndpoint"))
            {
                yield return new(op.Method, FillPath(pathTemplate, DirectoryBucket) + suffix, "s3express-control.us-west-2.amazonaws.com", headers, op.HasBucket ? DirectoryBucket : null, key, expectedPart);
                if (!op.HasBucket)
                {
                    continue;
                }
            }

            yield return new(op.Method, FillPath(pathTemplate, Bucket) + suffix, "s3.us-east-1.amazonaws.com", headers, op.HasBucket ? Bucket : null, key, expectedPart);
            if (op.HasBucket)
            {
                string virtualPath = FillPath(pathTemplate.Replace("/{Bucket}", string.Empty, StringComparison.Ordinal), Bucket);
                yield return new(op.Method, (virtualPath.Length == 0 ? "/" : virtualPath) + suffix, $"{Bucket}.s3.us-east-1.amazonaws.com", headers, Bucket, key, expectedPart);
                yield return new(op.Method, FillPath(pathTemplate, Bucket) + suffix, "127.0.0.1:9000", headers, Bucket, key, expectedPart);
            }
        }
    }

    private const string Presigned =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef0123456789";

    private static string FillPath(string template, string bucket) =>
        template
            .Replace("{Bucket}", bucket, StringComparison.Ordinal)
            .Replace("{Key+}", string.Join('/', Key.Split('/').Select(Uri.EscapeDataString)), StringComparison.Ordinal);

    private static string JoinQuery(string uriQuery, IEnumerable<string> parameters)
    {
        var parts = new List<string>();
        if (uriQuery.Length > 0)
        {
            parts.Add(uriQuery);
        }

        parts.AddRange(parameters.Distinct(StringComparer.Ordinal).Select(p => $"{p}={Uri.EscapeDataString(SampleValue(p))}"));
        return string.Join('&', parts);
    }

    private static string SampleValue(string parameter) => parameter switch
    {
        "partNumber" => PartNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "uploadId" => "VXBsb2FkIElE+/=",
        "id" => "config id 1",
        "max-keys" or "max-parts" or "max-uploads" or "max-buckets" or "max-directory-buckets" => "10",
        "encoding-type" => "url",
        "delimiter" => "/",
        _ => "sample value",
    };

    private sealed record SampleRequest(
        string Method,
        string Target,
        string Host,
        IReadOnlyDictionary<string, string> Headers,
        string? ExpectedBucket,
        string? ExpectedKey,
        int? ExpectedPartNumber);
}

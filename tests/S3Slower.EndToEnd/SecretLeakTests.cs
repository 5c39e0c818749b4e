using System.Globalization;
using S3Slower.EndToEnd.Infrastructure;

namespace S3Slower.EndToEnd;

/// <summary>
/// Plants secrets in real client requests (an Authorization header, a presigned URL's signature and credential,
/// a session token) and proves none of them appears anywhere S3Slower writes: the collector's printed events and
/// logs, the aggregator's logs, operations.jsonl, the JSON/CSV exports, or the metrics. The planted requests must be
/// reported, so the test cannot pass by reporting nothing.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Pipeline")]
public sealed class SecretLeakTests(S3rverFixture s3, PipelineFixture pipeline)
{
    [Fact]
    public async Task PlantedSecretsAppearNowhere()
    {
        pipeline.AssertAlive();
        var tag = Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        var authorizationSecret = $"deadbeef{tag.ToLowerInvariant()}cafe0000111122223333444455556666777788889999aaaabbbb";
        var presignSignature = $"0123456789abcdef{tag.ToLowerInvariant()}0123456789abcdef0123456789abcdef0123";
        var presignCredential = $"PLANTEDCRED{tag}";
        var sessionToken = $"PLANTEDTOKEN{tag}";
        var endpoint = s3.HttpEndpoint;
        var bucket = $"e2e-secret-{tag.ToLowerInvariant()}";

        var pids = new HashSet<int>
        {
            // A request whose Authorization header carries the planted signature.
            await CurlAsync("-X", "PUT", $"{endpoint}/{bucket}", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                "-H", $"Authorization: AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256, Signature={authorizationSecret}"),
            // A presigned-style URL: signature and credential in the query string.
            await CurlAsync($"{endpoint}/{bucket}/presigned.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={presignCredential}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={presignSignature}"),
            // A session token header, as temporary credentials send it.
            await CurlAsync("--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER", "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "-H", $"x-amz-security-token: {sessionToken}", $"{endpoint}/{bucket}/token.txt"),
        };
        var traced = await pipeline.WaitForOperationsAsync(pids, ops => ops.Count >= 3, TimeSpan.FromSeconds(15));
        Assert.True(traced.Count == 3, $"the 3 planted requests were reported {traced.Count} times.\n{string.Join("\n", traced)}\n{pipeline.Diagnostics()}");

        var metrics = await pipeline.MetricsAsync();
        var places = new Dictionary<string, string>
        {
            ["collector stdout (--print events)"] = string.Join("\n", pipeline.Collector!.StdoutLines),
            ["collector stderr"] = string.Join("\n", pipeline.Collector!.StderrLines),
            ["aggregator stdout"] = string.Join("\n", pipeline.Aggregator!.StdoutLines),
            ["aggregator stderr"] = string.Join("\n", pipeline.Aggregator!.StderrLines),
            ["metrics"] = metrics,
        };
        foreach (var file in Directory.EnumerateFiles(pipeline.OutputDir, "*", SearchOption.AllDirectories))
        {
            places[file] = File.ReadAllText(file);
        }

        Assert.Contains(places.Values, text => text.Contains(bucket, StringComparison.Ordinal));
        var leaks = (from place in places
                     from secret in new[] { authorizationSecret, presignSignature, presignCredential, sessionToken }
                     where place.Value.Contains(secret, StringComparison.OrdinalIgnoreCase)
                     select $"{secret} in {place.Key}").ToList();
        Assert.True(leaks.Count == 0, "planted secrets leaked:\n" + string.Join("\n", leaks));
    }

    private static async Task<int> CurlAsync(params string[] args)
    {
        await using var curl = ManagedProcess.Start("curl", "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", .. args]);
        var pid = curl.Pid;
        var exit = await curl.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"curl failed ({exit}).\n{curl.Output()}");
        _ = int.Parse(curl.StdoutLines.Last(), CultureInfo.InvariantCulture);
        return pid;
    }
}

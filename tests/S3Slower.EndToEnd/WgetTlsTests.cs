using S3Slower.EndToEnd.Infrastructure;

namespace S3Slower.EndToEnd;

/// <summary>
/// wget links GnuTLS, not OpenSSL: its HTTPS requests are seen through the gnutls_record_send/recv uprobes. wget keeps
/// no per-request clock, so this test checks presence and fields; timing is covered by the OpenSSL clients.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Pipeline")]
[Trait("Category", "Tls")]
public sealed class WgetTlsTests(S3rverFixture s3, PipelineFixture pipeline)
{
    private const string Body = "object fetched by wget over GnuTLS";

    [Fact]
    public async Task WgetOverGnuTlsIsReportedOnceAsTls()
    {
        pipeline.AssertAlive();
        string bucket = "wget-" + Guid.NewGuid().ToString("N")[..8];
        string url = $"{s3.HttpsEndpoint}/{bucket}/fetched.txt";
        await ExpectExitAsync("curl", ["-sf", "-o", "/dev/null", "--cacert", s3.CaFile, "-X", "PUT", $"{s3.HttpsEndpoint}/{bucket}", .. Signed()]);
        await ExpectExitAsync("curl", ["-sf", "-o", "/dev/null", "--cacert", s3.CaFile, "-X", "PUT", url, "--data-binary", Body, .. Signed()]);

        await using var wget = ManagedProcess.Start(
            "wget", "wget", ["-q", "-O", "-", "--ca-certificate", s3.CaFile, "--header", "x-amz-content-sha256: UNSIGNED-PAYLOAD", url]);
        int wgetPid = wget.Pid;
        Assert.True(await wget.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, $"wget failed:\n{wget.Output()}");
        Assert.Contains(Body, string.Join("\n", wget.StdoutLines), StringComparison.Ordinal);

        var traced = await pipeline.WaitForOperationsAsync(new HashSet<int> { wgetPid }, ops => ops.Count >= 1, TimeSpan.FromSeconds(15));
        var get = Assert.Single(traced);
        Assert.True(get.Tls, "wget's request was not marked TLS");
        Assert.Equal(("GET", "GetObject", bucket, "fetched.txt", 200), (get.Method, get.Operation, get.Bucket, get.Key, get.Status));
        Assert.Equal(Body.Length, get.ResponseBytes);
        Assert.False(string.IsNullOrEmpty(get.RequestId), "no x-amz-request-id on wget's request");
        Assert.True(get.TtfbMs <= get.TotalMs, $"ttfb {get.TtfbMs} ms exceeds total {get.TotalMs} ms");
    }

    private static string[] Signed() =>
        ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"];

    private static async Task ExpectExitAsync(string file, string[] args)
    {
        await using var process = ManagedProcess.Start(file, file, args);
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, $"{file} {string.Join(' ', args)} failed:\n{process.Output()}");
    }
}

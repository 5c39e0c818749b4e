using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// What a real application pays: the .NET AWS SDK (AWSSDK.S3) doing GetObject over keep-alive connections, each
/// request signed with SigV4 and its response read to the end, as fast as it can. wrk measures the cheapest client
/// there is; this one does per request what S3 clients do, so the ratio says what tracing costs an S3 client.
/// </summary>
internal static class SdkLoop
{
    public const string Bucket = "bench";
    public const string Key = "object";

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Runs <paramref name="connections"/> concurrent GetObject loops for <paramref name="duration"/>; returns every
    /// request made (the tracer must report each) and the rate of the timed ones.
    /// </summary>
    public static async Task<(long Requests, double Rate)> RunAsync(int port, int connections, TimeSpan duration)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = $"http://127.0.0.1:{port}",
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("AKIDSDKLOOPBENCH", "sdk-loop-bench-secret"), config);
        var request = new GetObjectRequest { BucketName = Bucket, Key = Key };

        // The first seconds open the connections and let the runtime compile the SDK's pipeline to its final code,
        // which a long-running application runs; they are not timed.
        long warmup = await LoopAsync(s3, request, connections, WarmUp);
        var watch = Stopwatch.StartNew();
        long requests = await LoopAsync(s3, request, connections, duration);
        return (warmup + requests, requests / watch.Elapsed.TotalSeconds);
    }

    private static async Task<long> LoopAsync(AmazonS3Client s3, GetObjectRequest request, int connections, TimeSpan duration)
    {
        long requests = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            while (watch.Elapsed < duration)
            {
                await GetAsync(s3, request);
                Interlocked.Increment(ref requests);
            }
        }));
        return requests;
    }

    private static async Task GetAsync(AmazonS3Client s3, GetObjectRequest request)
    {
        using var response = await s3.GetObjectAsync(request);
        await response.ResponseStream.CopyToAsync(Stream.Null);
    }
}

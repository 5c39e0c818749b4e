using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// A real S3 client under load: the .NET AWS SDK doing GetObject on keep-alive connections against the bench's
/// responder, each request signed (SigV4) and its response parsed and its body checked (the ETag is the body's MD5),
/// as an application's requests are. What tracing costs such a client is the figure users pay; wrk's requests cost
/// their client almost nothing, which makes the http workload the worst case.
/// </summary>
internal static class SdkLoop
{
    /// <summary>
    /// Requests completed in all (warm-up included: the collector sees those too) and the rate of the timed part:
    /// a fresh process spends its first second compiling the SDK, which is not what a running application pays.
    /// </summary>
    public static async Task<(long Requests, double Rate)> RunAsync(int port, int connections, TimeSpan warmUp, TimeSpan duration)
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
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("AKIDBENCHMARK", "bench-secret"), config);
        long completed = 0;
        long timedStart = 0;
        var clock = Stopwatch.StartNew();
        long warmUpEnd = (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        long end = warmUpEnd + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async worker =>
        {
            byte[] buffer = new byte[4096];
            while (clock.ElapsedTicks < end)
            {
                using (var response = await s3.GetObjectAsync("bench", $"object-{worker}"))
                {
                    while (await response.ResponseStream.ReadAsync(buffer) > 0)
                    {
                    }
                }

                long done = Interlocked.Increment(ref completed);
                if (clock.ElapsedTicks >= warmUpEnd)
                {
                    // The first request to end after the warm-up starts the count.
                    Interlocked.CompareExchange(ref timedStart, done, 0);
                }
            }
        }));

        double seconds = (clock.ElapsedTicks - warmUpEnd) / (double)Stopwatch.Frequency;
        return (completed, (completed - Interlocked.Read(ref timedStart)) / seconds);
    }
}

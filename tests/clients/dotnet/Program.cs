using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;

namespace S3Slower.DotnetClient;

/// <summary>
/// The fixed S3 scenario, driven by the .NET AWS SDK (AWSSDK.S3), one keep-alive connection, each exchange timed
/// at the stream under HttpClient (see <see cref="TimingStream"/>).
/// Environment: S3S_ENDPOINT, S3S_BUCKET, S3S_TIMING_FILE, optional S3S_CA_FILE,
/// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (s3rver's S3RVER/S3RVER by default).
/// </summary>
internal static class Program
{
    public static async Task<int> Main()
    {
        var endpoint = Required("S3S_ENDPOINT");
        var bucket = Required("S3S_BUCKET");
        var recorder = new ExchangeRecorder(Required("S3S_TIMING_FILE"));
        var caFile = Environment.GetEnvironmentVariable("S3S_CA_FILE");
        using var ca = string.IsNullOrEmpty(caFile) ? null : X509CertificateLoader.LoadCertificateFromFile(caFile);
        var connector = new Connector(recorder, endpoint.StartsWith("https:", StringComparison.OrdinalIgnoreCase), ca);
        var config = new AmazonS3Config
        {
            ServiceURL = endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            HttpClientFactory = new TimedHttpClientFactory(recorder, connector),
        };
        var credentials = new BasicAWSCredentials(
            Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? "S3RVER",
            Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? "S3RVER");
        using var s3 = new AmazonS3Client(credentials, config);
        try
        {
            await new Scenario(s3, bucket, recorder).RunAsync();
        }
        catch (Exception e) when (e is AmazonServiceException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"dotnet-s3-client: {e}");
            return 1;
        }
        finally
        {
            recorder.Flush();
        }

        return 0;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"environment variable {name} is required");
}

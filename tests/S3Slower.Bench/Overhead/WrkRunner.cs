using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace S3Slower.Bench.Overhead;

/// <summary>Runs wrk with a Lua script that signs nothing but looks like SigV4, so the collector classifies the requests as S3.</summary>
internal static partial class WrkRunner
{
    /// <summary>The path every request asks for.</summary>
    public const string RequestPath = "/bench-bucket/objects/0001.bin";

    /// <summary>The headers wrk adds to its own Host: what a SigV4-signed GET of the AWS CLI carries.</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> Headers =
    [
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("x-amz-date", "20250101T000000Z"),
        ("User-Agent", "aws-cli/2.15.0 md/bench"),
    ];

    private static string Script =>
        $"wrk.method = \"GET\"\nwrk.path = \"{RequestPath}\"\n" +
        string.Concat(Headers.Select(h => $"wrk.headers[\"{h.Name}\"] = \"{h.Value}\"\n"));

    public static string WriteScript(string directory)
    {
        string path = Path.Combine(directory, "s3-get.lua");
        File.WriteAllText(path, Script);
        return path;
    }

    /// <summary>Fails before anything starts when wrk is not on PATH (./s3slower bench installs it).</summary>
    public static void EnsureInstalled()
    {
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!directories.Any(d => File.Exists(System.IO.Path.Combine(d, "wrk"))))
        {
            throw new InvalidOperationException("the http and https workloads need wrk, which is not on PATH: install it (apt-get install wrk) or run `sudo ./s3slower bench overhead`, which does");
        }
    }

    public static async Task<WrkResult> RunAsync(string url, string script, int connections, int seconds)
    {
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-t1", $"-c{connections}", $"-d{seconds}s", "-s", script, url })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        string text = await stdout;
        var requests = RequestsLine().Match(text);
        var rate = RateLine().Match(text);
        if (process.ExitCode != 0 || !requests.Success || !rate.Success)
        {
            throw new InvalidOperationException($"wrk failed (exit {process.ExitCode}):\n{text}{await stderr}");
        }

        var errors = ErrorsLine().Match(text);
        long socketErrors = 0;
        if (errors.Success)
        {
            socketErrors = errors.Groups.Cast<Group>().Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture));
        }

        return new WrkResult(
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            socketErrors);
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RateLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex ErrorsLine();
}

using System.Diagnostics;

namespace S3Slower.Tests.Aggregator;

/// <summary>Runs the real <c>promtool check metrics</c>; CI installs it, so a missing promtool fails rather than skips.</summary>
internal static class Promtool
{
    public const string Path = "/usr/bin/promtool";

    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: install prometheus (promtool) to run the metrics checks");
        var psi = new ProcessStartInfo(Path, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout + stderr);
    }
}

using System.Diagnostics;

namespace S3Slower.Bench.Infrastructure;

/// <summary>Runs one of this executable's hidden commands in a fresh process: a load with nothing of the bench's own state.</summary>
internal static class SelfCommand
{
    /// <summary>Its standard output; a clear error when it fails.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> arguments, string what)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {what}");
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed (exit {process.ExitCode}): {output}{await error}");
        }

        return output.Trim();
    }
}

using System.Diagnostics;

namespace S3Slower.Tests.Service;

/// <summary>Result of running an external tool to completion.</summary>
internal sealed record ToolRun(int ExitCode, string StdOut, string StdErr)
{
    public string Output => StdOut + StdErr;

    /// <summary>Runs <paramref name="tool"/> (looked up on PATH); a missing tool fails the test with what to install.</summary>
    public static ToolRun Run(string tool, IEnumerable<string> args, string? installHint = null, IDictionary<string, string?>? environment = null)
    {
        string path = Find(tool) ?? throw new Xunit.Sdk.XunitException(
            $"'{tool}' is not installed; this test needs it{(installHint is null ? "" : $" (install: {installHint})")}.");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {path}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{tool} {string.Join(' ', args)} did not finish in 3 minutes");
        }

        return new ToolRun(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static string? Find(string tool)
    {
        if (tool.Contains('/'))
        {
            return File.Exists(tool) ? tool : null;
        }

        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .ToArray();
        return dirs.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
    }
}

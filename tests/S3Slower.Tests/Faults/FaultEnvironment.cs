using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace S3Slower.Tests.Faults;

/// <summary>Where the built binaries are, root checks, signals and /proc readings the fault tests share.</summary>
internal static class FaultEnvironment
{
    public const int SigKill = 9;

    public static string RepoRoot { get; } =
        typeof(FaultEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>Same build configuration as this test assembly, which references both halves.</summary>
    private static string Configuration =>
        typeof(FaultEnvironment).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration.ToLowerInvariant() ?? "debug";

    public static string AggregatorExecutable => Executable("S3Slower.Aggregator", "s3slower-aggregator");

    public static string CollectorExecutable => Executable("S3Slower.Collector", "s3slower-collector");

    /// <summary>Runs <c>s3slower-collector --unpin</c>, which must succeed; returns what it said.</summary>
    public static async Task<string> UnpinAsync()
    {
        await using var unpin = ChildProcess.Start(CollectorExecutable, ["--unpin"]);
        int code = await unpin.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, "--unpin failed\n" + unpin.Diagnostics());
        return unpin.Stderr;
    }

    public static bool IsRoot => GetEffectiveUid() == 0;

    /// <summary>Fails (never skips) a test that needs root: CI runs as root, and a silent skip would hide a regression.</summary>
    public static void RequireRoot(string why) =>
        Assert.True(IsRoot, $"this fault test must run as root ({why}); run the tests with sudo, as CI does");

    public static void Signal(int pid, int signal) =>
        Assert.True(Kill(pid, signal) == 0, $"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>VmRSS of a live process in KiB, or null once it is gone.</summary>
    public static long? RssKiB(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A fresh directory readable by other users (the hostile-peer test connects as nobody).</summary>
    public static string NewDirectory(string prefix)
    {
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        return dir;
    }

    public static void DeleteDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, int pollMs = 50)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(pollMs);
        }

        return true;
    }

    private static string Executable(string project, string name)
    {
        string path = Path.Combine(RepoRoot, "artifacts", "bin", project, Configuration, name);
        Assert.True(File.Exists(path), $"{name} is not built at {path}; run `dotnet build S3Slower.sln -c {Configuration}`");
        return path;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

namespace S3Slower.Tests.Service;

public sealed class InstallScriptTests : IDisposable
{
    private readonly string _destdir = Directory.CreateTempSubdirectory("s3slower-install-").FullName;

    private static string Install => Path.Combine(ServiceRepo.PackagingDir, "install.sh");

    private static string Uninstall => Path.Combine(ServiceRepo.PackagingDir, "uninstall.sh");

    public void Dispose() => Directory.Delete(_destdir, recursive: true);

    [Fact]
    public void DryRunPrintsThePlanAndTouchesNothing()
    {
        string[] watched = ["/etc/systemd/system/s3slower-aggregator.service", "/usr/local/lib/s3slower", "/etc/s3slower", "/usr/lib/sysusers.d/s3slower.conf"];
        var before = watched.ToDictionary(p => p, Snapshot);

        var run = ToolRun.Run("bash", [Install, "--dry-run"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("dry run", run.StdOut);
        Assert.Contains("+ dotnet publish", run.StdOut);
        Assert.Contains("collector/S3Slower.Collector.csproj -c Release", run.StdOut);
        Assert.Contains("aggregator/S3Slower.Aggregator.csproj -c Release", run.StdOut);
        Assert.Contains("+ systemd-sysusers s3slower.conf", run.StdOut);
        Assert.Contains("/etc/systemd/system/s3slower-collector.service", run.StdOut);
        Assert.Contains("+ systemctl", run.StdOut);
        Assert.Equal(before, watched.ToDictionary(p => p, Snapshot));
    }

    [Fact]
    public void UninstallDryRunPrintsThePlanAndTouchesNothing()
    {
        var run = ToolRun.Run("bash", [Uninstall, "--dry-run", "--purge"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("+ rm -rf /sys/fs/bpf/s3slower", run.StdOut);
        Assert.Contains("+ rm -rf /var/lib/s3slower", run.StdOut);
        Assert.Contains("systemctl disable", run.StdOut);
    }

    [Fact]
    public void UnknownOptionIsAClearError()
    {
        var run = ToolRun.Run("bash", [Install, "--dryrun"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown option '--dryrun'", run.StdErr);
    }

    [Fact]
    public void DestdirInstallUpgradeAndUninstall()
    {
        var first = ToolRun.Run("bash", [Install, "--destdir", _destdir, "--no-publish"], "systemd");
        Assert.True(first.ExitCode == 0, first.Output);

        foreach (string unit in ServiceRepo.Units)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(ServiceRepo.SystemdDir, unit)), File.ReadAllText(At($"etc/systemd/system/{unit}")));
        }

        Assert.True(File.Exists(At("etc/systemd/system/sockets.target.wants/s3slower-aggregator.socket")), "socket not enabled");
        Assert.True(File.Exists(At("etc/systemd/system/multi-user.target.wants/s3slower-collector.service")), "collector not enabled");
        Assert.Contains(File.ReadAllLines(At("etc/passwd")), l => l.StartsWith("s3slower:", StringComparison.Ordinal));
        string config = At("etc/s3slower/s3slower.yaml");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(config));

        // An upgrade keeps the operator's config.
        File.AppendAllText(config, "# operator edit\n");
        var second = ToolRun.Run("bash", [Install, "--destdir", _destdir, "--no-publish"]);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("keeping existing /etc/s3slower/s3slower.yaml", second.StdOut);
        Assert.EndsWith("# operator edit\n", File.ReadAllText(config));

        // What a running system would have: binaries, pins, recorded data.
        Directory.CreateDirectory(At("usr/local/lib/s3slower/collector"));
        File.WriteAllText(At("usr/local/lib/s3slower/collector/s3slower-collector"), "");
        Directory.CreateDirectory(At("sys/fs/bpf/s3slower"));
        File.WriteAllText(At("sys/fs/bpf/s3slower/events"), "");
        Directory.CreateDirectory(At("var/lib/s3slower"));
        File.WriteAllText(At("var/lib/s3slower/operations.jsonl"), "{}\n");
        Directory.CreateDirectory(At("var/lib/s3slower-collector"));
        File.WriteAllText(At("var/lib/s3slower-collector/collector-id"), "0123456789abcdef0123456789abcdef\n");

        var remove = ToolRun.Run("bash", [Uninstall, "--destdir", _destdir]);
        Assert.True(remove.ExitCode == 0, remove.Output);
        Assert.False(Directory.Exists(At("usr/local/lib/s3slower")), "binaries left behind");
        Assert.False(Directory.Exists(At("sys/fs/bpf/s3slower")), "bpffs pins left behind");
        Assert.All(ServiceRepo.Units, unit => Assert.False(File.Exists(At($"etc/systemd/system/{unit}")), $"{unit} left behind"));
        Assert.False(File.Exists(At("etc/systemd/system/multi-user.target.wants/s3slower-collector.service")), "enable link left behind");
        Assert.True(File.Exists(At("var/lib/s3slower/operations.jsonl")), "data deleted without --purge");
        Assert.True(File.Exists(At("var/lib/s3slower-collector/collector-id")), "the collector's journal deleted without --purge");
        Assert.True(File.Exists(config), "config deleted without --purge");

        var purge = ToolRun.Run("bash", [Uninstall, "--destdir", _destdir, "--purge"]);
        Assert.True(purge.ExitCode == 0, purge.Output);
        Assert.False(Directory.Exists(At("var/lib/s3slower")), "--purge kept the data");
        Assert.False(Directory.Exists(At("var/lib/s3slower-collector")), "--purge kept the collector's journal");
        Assert.False(Directory.Exists(At("etc/s3slower")), "--purge kept the config");
    }

    private string At(string relative) => Path.Combine(_destdir, relative);

    private static string Snapshot(string path) =>
        File.Exists(path) ? $"file {new FileInfo(path).LastWriteTimeUtc:O}"
        : Directory.Exists(path) ? $"dir {Directory.GetLastWriteTimeUtc(path):O}"
        : "absent";
}

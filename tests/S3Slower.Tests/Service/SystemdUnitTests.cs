namespace S3Slower.Tests.Service;

public sealed class SystemdUnitTests : IDisposable
{
    private const string AnalyzeHint = "apt-get install systemd";
    private readonly string _root = Directory.CreateTempSubdirectory("s3slower-units-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void VerifyPassesForEveryUnit()
    {
        StageRoot(withBinaries: true);

        var run = Verify(ServiceRepo.Units);

        Assert.True(run.ExitCode == 0, $"systemd-analyze verify failed ({run.ExitCode}):\n{run.Output}");
        // verify exits 0 on unknown keys and bad values (it only warns), so any output is a failure too.
        Assert.True(run.Output.Trim().Length == 0, $"systemd-analyze verify warned:\n{run.Output}");
    }

    [Fact]
    public void VerifyRejectsAUnitWhoseBinaryIsMissing()
    {
        // Proves the check above looks at ExecStart: without the installed binaries verify must fail.
        StageRoot(withBinaries: false);

        var run = Verify(["s3slower-collector.service"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("/usr/local/lib/s3slower/collector/s3slower-collector", run.Output);
    }

    [Fact]
    public void VerifyWarnsOnAMisspelledKey()
    {
        StageRoot(withBinaries: true);
        File.AppendAllText(Path.Combine(_root, "etc/systemd/system/s3slower-aggregator.service"), "\n[Service]\nProtectSytem=strict\n");

        var run = Verify(["s3slower-aggregator.service"]);

        Assert.Contains("ProtectSytem", run.Output);
    }

    [Fact]
    public void AggregatorExposureIsLow()
    {
        StageRoot(withBinaries: true);

        var run = ToolRun.Run("systemd-analyze",
            ["security", "--offline=yes", $"--root={_root}", "--no-pager", "s3slower-aggregator.service"], AnalyzeHint);

        double exposure = ParseExposure(run.Output);
        Assert.True(exposure <= 2.0, $"aggregator exposure {exposure} > 2.0:\n{run.Output}");
    }

    [Fact]
    public void AggregatorUnitIsUnprivilegedNotifyServiceWithWatchdog()
    {
        var unit = UnitFile.Load(Path.Combine(ServiceRepo.SystemdDir, "s3slower-aggregator.service"));

        Assert.Equal("notify", unit.Get("Service", "Type"));
        Assert.Equal("30", unit.Get("Service", "WatchdogSec"));
        Assert.Equal("main", unit.Get("Service", "NotifyAccess"));
        Assert.Equal("s3slower", unit.Get("Service", "User"));
        Assert.Equal("s3slower", unit.Get("Service", "StateDirectory"));
        Assert.Equal("", unit.Get("Service", "CapabilityBoundingSet"));
        Assert.Equal("", unit.Get("Service", "AmbientCapabilities"));
        Assert.Equal("AF_UNIX AF_INET AF_INET6", unit.Get("Service", "RestrictAddressFamilies"));
        Assert.Equal("@system-service", unit.Get("Service", "SystemCallFilter"));
        Assert.Equal("strict", unit.Get("Service", "ProtectSystem"));
        Assert.Equal("0027", unit.Get("Service", "UMask"));
        Assert.Equal("on-failure", unit.Get("Service", "Restart"));
        Assert.Contains("--output-dir /var/lib/s3slower", unit.Get("Service", "ExecStart"));
        Assert.Equal("s3slower-aggregator.socket", unit.Get("Unit", "Requires"));
    }

    [Fact]
    public void SocketIsGroupOnlyAndSurvivesStop()
    {
        var unit = UnitFile.Load(Path.Combine(ServiceRepo.SystemdDir, "s3slower-aggregator.socket"));

        Assert.Equal("/run/s3slower/s3slower.sock", unit.Get("Socket", "ListenStream"));
        Assert.Equal("0660", unit.Get("Socket", "SocketMode"));
        Assert.Equal("s3slower", unit.Get("Socket", "SocketUser"));
        Assert.Equal("s3slower", unit.Get("Socket", "SocketGroup"));
        Assert.Equal("no", unit.Get("Socket", "RemoveOnStop"));
    }

    [Fact]
    public void CollectorKeepsOnlyTheMeasuredCapabilities()
    {
        var unit = UnitFile.Load(Path.Combine(ServiceRepo.SystemdDir, "s3slower-collector.service"));

        var caps = (unit.Get("Service", "CapabilityBoundingSet") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order();
        Assert.Equal(["CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"], caps);
        Assert.Equal("always", unit.Get("Service", "Restart"));
        Assert.Equal("1", unit.Get("Service", "RestartSec"));
        // Root without CAP_DAC_OVERRIDE can only connect to the 0660 socket through the group.
        Assert.Equal("s3slower", unit.Get("Service", "SupplementaryGroups"));
        Assert.Contains("s3slower-aggregator.socket", unit.Get("Unit", "After"));
        Assert.Equal("/usr/local/lib/s3slower/collector/s3slower-collector --pin --state-dir /var/lib/s3slower-collector --socket /run/s3slower/s3slower.sock", unit.Get("Service", "ExecStart"));
        Assert.Equal("s3slower-collector", unit.Get("Service", "StateDirectory"));
    }

    [Fact]
    public void SysusersDeclaresTheUserAndGroup()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));

        var run = ToolRun.Run("systemd-sysusers", [$"--root={_root}", Path.Combine(ServiceRepo.SystemdDir, "s3slower.sysusers")], AnalyzeHint);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(File.ReadAllLines(Path.Combine(_root, "etc/passwd")), l => l.StartsWith("s3slower:x:", StringComparison.Ordinal) && l.EndsWith(":/usr/sbin/nologin", StringComparison.Ordinal));
        Assert.Contains(File.ReadAllLines(Path.Combine(_root, "etc/group")), l => l.StartsWith("s3slower:x:", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultConfigLoadsWithTheServicePaths()
    {
        var config = S3Slower.Shared.Configuration.ConfigLoader.LoadFile(Path.Combine(ServiceRepo.SystemdDir, "s3slower.yaml"));

        Assert.Equal("/var/lib/s3slower", config.OutputDir);
        Assert.Equal("/run/s3slower/s3slower.sock", config.SocketPath);
        Assert.Equal("s3slower", config.AllowedGroup);
        Assert.Equal(5, config.IntervalSeconds);
    }

    /// <summary>A root for <c>--root</c>: the distribution's units (verify needs sysinit.target and friends), ours, and the binaries.</summary>
    private void StageRoot(bool withBinaries)
    {
        CopyDirectory("/usr/lib/systemd/system", Path.Combine(_root, "usr/lib/systemd/system"));
        string unitDir = Path.Combine(_root, "etc/systemd/system");
        Directory.CreateDirectory(unitDir);
        foreach (string unit in ServiceRepo.Units)
        {
            File.Copy(Path.Combine(ServiceRepo.SystemdDir, unit), Path.Combine(unitDir, unit));
        }

        if (!withBinaries)
        {
            return;
        }

        foreach (string half in new[] { "collector", "aggregator" })
        {
            string binary = Path.Combine(_root, $"usr/local/lib/s3slower/{half}/s3slower-{half}");
            Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
            File.WriteAllText(binary, "#!/bin/sh\n");
            File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private ToolRun Verify(IEnumerable<string> units) =>
        ToolRun.Run("systemd-analyze", ["verify", "--man=no", $"--root={_root}", .. units], AnalyzeHint);

    private static double ParseExposure(string output)
    {
        const string marker = "Overall exposure level for";
        string line = output.Split('\n').SingleOrDefault(l => l.Contains(marker, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no exposure line in:\n{output}");
        string afterColon = line[(line.LastIndexOf(':') + 1)..].Trim();
        return double.Parse(afterColon.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void CopyDirectory(string from, string to)
    {
        Assert.True(Directory.Exists(from), $"{from} is missing; install systemd ({AnalyzeHint})");
        Directory.CreateDirectory(to);
        foreach (string entry in Directory.EnumerateFileSystemEntries(from))
        {
            string target = Path.Combine(to, Path.GetFileName(entry));
            var info = new FileInfo(entry);
            if (info.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (Directory.Exists(entry))
            {
                CopyDirectory(entry, target);
            }
            else
            {
                File.Copy(entry, target);
            }
        }
    }
}

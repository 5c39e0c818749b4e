namespace S3Slower.Tests.Service;

/// <summary>
/// The collector unit's CapabilityBoundingSet is the measured minimum: systemd/capprobe does what the collector does
/// (tracefs mount, BPF load, tracepoint and uprobe attach, ring buffer, bpffs mount and pins, other users' /proc maps)
/// as root under the unit's bounding set, in a private mount namespace where neither filesystem is mounted yet (a fresh
/// machine), and once more with each capability removed.
/// </summary>
public sealed class CollectorCapabilityTests
{
    [Fact]
    public void UnitBoundingSetIsSufficientAndSysAdminIsNecessary()
    {
        Assert.True(Environment.UserName == "root", "needs root (CI runs as root)");

        var run = ToolRun.Run("bash", [Path.Combine(ServiceRepo.SystemdDir, "capprobe/measure.sh")], "clang, bpftool, libbpf-dev, make");

        Assert.True(run.ExitCode == 0, run.Output);
        var blocks = run.StdOut.Split("== ", StringSplitOptions.RemoveEmptyEntries);
        string withUnitSet = blocks.Single(b => b.StartsWith("the unit's set", StringComparison.Ordinal));
        // The whole block on failure: xUnit's Contains shows only the start of the string, not the step that failed.
        Assert.True(withUnitSet.Contains("\n0 step(s) failed", StringComparison.Ordinal), withUnitSet);
        string withoutSysAdmin = blocks.Single(b => b.StartsWith("without sys_admin", StringComparison.Ordinal));
        Assert.Contains("FAIL mount tracefs", withoutSysAdmin);
        Assert.Contains("FAIL attach uprobe", withoutSysAdmin);
        Assert.Contains("FAIL mount bpffs", withoutSysAdmin);
        string perfmonOnly = blocks.Single(b => b.StartsWith("bpf perfmon (tracefs mounted)", StringComparison.Ordinal));
        Assert.Contains("FAIL attach uprobe", perfmonOnly);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// Run time of the collector's eBPF programs (named <c>s3s_*</c>) from the kernel's BPF statistics: the CPU tracing
/// spends inside the traced processes, which the throughput ratio on a noisy machine hides. The statistics cost two
/// clock reads per program run, so they are on only for a run of their own (<see cref="Enable"/>: libbpf's
/// <c>bpf_enable_stats</c> keeps them on while its descriptor is open, even if this process dies), and what they add
/// to each run is measured in the same run by programs that do nothing (<see cref="NsPerRun"/>).
/// </summary>
internal static partial class KernelProgramStats
{
    private const int BpfStatsRunTime = 0;
    public const string CollectorPrefix = "s3s_";

    public static SafeStatsHandle Enable()
    {
        int fd = EnableStats(BpfStatsRunTime);
        return fd >= 0 ? new SafeStatsHandle(fd) : throw new IOException($"bpf_enable_stats failed: errno {-fd}");
    }

    /// <summary>Run time and run count of every loaded program, by program name (summed over same-named ones).</summary>
    public static async Task<Dictionary<string, (long RunTimeNs, long Runs)>> SnapshotAsync()
    {
        var info = new ProcessStartInfo("bpftool") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("prog");
        info.ArgumentList.Add("show");
        info.ArgumentList.Add("--json");
        using var bpftool = Process.Start(info) ?? throw new InvalidOperationException("could not start bpftool");
        string json = await bpftool.StandardOutput.ReadToEndAsync();
        await bpftool.WaitForExitAsync();
        if (bpftool.ExitCode != 0)
        {
            throw new InvalidOperationException($"bpftool prog show failed (exit {bpftool.ExitCode}): {await bpftool.StandardError.ReadToEndAsync()}");
        }

        var programs = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        foreach (var program in document.RootElement.EnumerateArray())
        {
            if (program.TryGetProperty("name", out var name) && name.GetString() is { } n)
            {
                long time = program.TryGetProperty("run_time_ns", out var t) ? t.GetInt64() : 0;
                long runs = program.TryGetProperty("run_cnt", out var r) ? r.GetInt64() : 0;
                var (sumTime, sumRuns) = programs.GetValueOrDefault(n);
                programs[n] = (sumTime + time, sumRuns + runs);
            }
        }

        return programs;
    }

    /// <summary>
    /// Nanoseconds and program runs per operation of the collector's programs that ran between the two snapshots,
    /// and "program ns = runs × ns per run, …" for each of them.
    /// </summary>
    public static (double NsPerOperation, double RunsPerOperation, string Detail) Describe(Dictionary<string, (long RunTimeNs, long Runs)> before, Dictionary<string, (long RunTimeNs, long Runs)> after, double operations)
    {
        var parts = new List<(string Name, double NsPerOperation, double RunsPerOperation)>();
        foreach (var (name, (time, runs)) in after)
        {
            var (timeBefore, runsBefore) = before.GetValueOrDefault(name);
            if (name.StartsWith(CollectorPrefix, StringComparison.Ordinal) && runs > runsBefore)
            {
                parts.Add((name, (time - timeBefore) / operations, (runs - runsBefore) / operations));
            }
        }

        double total = parts.Sum(p => p.NsPerOperation);
        string detail = string.Join(", ", parts
            .Where(p => p.RunsPerOperation >= 0.01)
            .OrderByDescending(p => p.NsPerOperation)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.NsPerOperation:N0} = {p.RunsPerOperation:0.##} × {p.NsPerOperation / p.RunsPerOperation:N0}")));
        return (total, parts.Sum(p => p.RunsPerOperation), detail.Length > 0 ? detail : "no program ran");
    }

    /// <summary>Mean run time of the programs named <paramref name="prefix"/>* between the snapshots; null if none ran.</summary>
    public static double? NsPerRun(Dictionary<string, (long RunTimeNs, long Runs)> before, Dictionary<string, (long RunTimeNs, long Runs)> after, string prefix)
    {
        long time = 0, runs = 0;
        foreach (var (name, (t, r)) in after)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                var (timeBefore, runsBefore) = before.GetValueOrDefault(name);
                time += t - timeBefore;
                runs += r - runsBefore;
            }
        }

        return runs > 0 ? (double)time / runs : null;
    }

    [LibraryImport("libbpf.so.1", EntryPoint = "bpf_enable_stats")]
    private static partial int EnableStats(int type);

    /// <summary>The descriptor that keeps the statistics on; closing it turns them off.</summary>
    internal sealed partial class SafeStatsHandle : SafeHandle
    {
        public SafeStatsHandle(int fd)
            : base(-1, ownsHandle: true) => SetHandle(fd);

        public override bool IsInvalid => handle == -1;

        protected override bool ReleaseHandle() => Close((int)handle) == 0;

        [LibraryImport("libc", EntryPoint = "close")]
        private static partial int Close(int fd);
    }
}

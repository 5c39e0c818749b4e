using System.Globalization;
using System.Runtime.InteropServices;

namespace S3Slower.Bench.Infrastructure;

/// <summary>What a figure was measured on, and how busy the machine was: a benchmark on a loaded host says little.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        string kernel = TryRead("/proc/sys/kernel/osrelease") ?? "unknown kernel";
        return $"machine: {Environment.ProcessorCount} cores, Linux {kernel}, {RuntimeInformation.FrameworkDescription}, load average {LoadAverage()}";
    }

    /// <summary>1-minute load average as reported by the kernel, or "?".</summary>
    public static string LoadAverage() => TryRead("/proc/loadavg")?.Split(' ')[0] ?? "?";

    /// <summary>A warning when other work competes for the CPUs, so nobody mistakes a noisy figure for a clean one.</summary>
    public static string? BusyWarning()
    {
        string load = LoadAverage();
        return double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > Environment.ProcessorCount / 2.0
            ? $"WARNING: 1-minute load average {load} on {Environment.ProcessorCount} cores before the run: other processes compete for the CPUs; figures are pessimistic and noisy"
            : null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}

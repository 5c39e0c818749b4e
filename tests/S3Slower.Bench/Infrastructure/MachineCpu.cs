using System.Globalization;

namespace S3Slower.Bench.Infrastructure;

/// <summary>
/// CPU time all cores have spent busy so far (user, nice, system, irq, softirq), from the first line of /proc/stat:
/// what a run costs the whole machine, tracing and the load's own reaction to it included.
/// </summary>
internal static class MachineCpu
{
    public static TimeSpan? Busy()
    {
        try
        {
            string? line = File.ReadLines("/proc/stat").FirstOrDefault();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                return null;
            }

            // cpu user nice system idle iowait irq softirq ...
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            foreach (int field in (ReadOnlySpan<int>)[1, 2, 3, 6, 7])
            {
                busy += long.Parse(fields[field], CultureInfo.InvariantCulture);
            }

            return TimeSpan.FromSeconds(busy / ProcessCpu.ClockTicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

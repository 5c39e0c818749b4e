using System.Globalization;

namespace S3Slower.Bench.Infrastructure;

/// <summary>CPU time (user + system) a process has used so far, from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    internal const double ClockTicksPerSecond = 100; // USER_HZ is 100 on every Linux ABI .NET runs on.

    public static TimeSpan? Used(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised comm, which may itself hold spaces.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((utime + stime) / ClockTicksPerSecond);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

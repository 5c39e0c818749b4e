using System.Globalization;

namespace S3Slower.Bench.Infrastructure;

/// <summary>CPU time (user + system) and minor page faults a process has had so far, from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    internal const double ClockTicksPerSecond = 100; // USER_HZ is 100 on every Linux ABI .NET runs on.

    // Indexes of the fields after the parenthesised comm (proc(5) numbers them from 1, comm being 2).
    private const int MinorFaultsField = 10 - 3;
    private const int UserTimeField = 14 - 3;
    private const int SystemTimeField = 15 - 3;

    public static TimeSpan? Used(int pid) =>
        Fields(pid) is { } fields ? TimeSpan.FromSeconds((fields[UserTimeField] + fields[SystemTimeField]) / ClockTicksPerSecond) : null;

    /// <summary>Page faults served without I/O: for a .NET process, mostly the first touch of memory its GC hands out.</summary>
    public static long? MinorFaults(int pid) => Fields(pid)?[MinorFaultsField];

    private static long[]? Fields(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised comm, which may itself hold spaces.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long[] numbers = new long[SystemTimeField + 1];
            // Field 0, the state, is a letter; none of the fields read is before it.
            for (int i = 1; i < numbers.Length; i++)
            {
                numbers[i] = long.Parse(fields[i], CultureInfo.InvariantCulture);
            }

            return numbers;
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

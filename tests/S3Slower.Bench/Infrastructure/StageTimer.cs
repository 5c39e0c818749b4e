using System.Diagnostics;
using System.Globalization;

namespace S3Slower.Bench.Infrastructure;

/// <summary>One measured stage of an in-process profile: CPU and wall time, bytes allocated and gen0 collections per item.</summary>
internal sealed record StageRow(string Name, double CpuNs, double WallNs, double Bytes, int Gen0);

/// <summary>
/// Times a stage run in rounds on the calling thread, after a warm-up long enough for tiered JIT to have optimised the
/// hot methods, so a row measures the code a long-running process runs; of <see cref="Samples"/> samples of
/// <see cref="Rounds"/> rounds each, the one with the least CPU time is kept.
/// </summary>
internal static class StageTimer
{
    public const int Rounds = 12;
    public const int Samples = 5;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1.5);

    public static StageRow Measure(string name, int itemsPerRound, Action round) => MeasureAll(itemsPerRound, [(name, round)])[0];

    /// <summary>
    /// Measures several stages with their samples interleaved, so that a slow spell of the VM falls on all of them
    /// rather than on whichever stage ran during it.
    /// </summary>
    public static IReadOnlyList<StageRow> MeasureAll(int itemsPerRound, IReadOnlyList<(string Name, Action Round)> stages)
    {
        foreach ((_, Action round) in stages)
        {
            // Warm-up by time, not by rounds: tiered JIT promotes hot methods only after a delay and on a background
            // thread, and four rounds of the cheapest stage ended before that, so its row measured unoptimised code.
            var warmUp = Stopwatch.StartNew();
            for (int i = 0; i < 4 || warmUp.Elapsed < WarmUp; i++)
            {
                round();
            }
        }

        // The least disturbed of several samples: on a shared VM a sample can lose a third to a neighbour, never gain.
        var best = new StageRow?[stages.Count];
        for (int sample = 0; sample < Samples; sample++)
        {
            for (int i = 0; i < stages.Count; i++)
            {
                StageRow row = Sample(stages[i].Name, itemsPerRound, stages[i].Round);
                if (best[i] is not { } kept || row.CpuNs < kept.CpuNs)
                {
                    best[i] = row;
                }
            }
        }

        return [.. best.Select(row => row!)];
    }

    private static StageRow Sample(string name, int itemsPerRound, Action round)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int gen0 = GC.CollectionCount(0);
        long cpu = ThreadCpuClock.NowNs();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Rounds; i++)
        {
            round();
        }

        double items = (double)itemsPerRound * Rounds;
        return new StageRow(name, (ThreadCpuClock.NowNs() - cpu) / items, watch.Elapsed.TotalNanoseconds / items,
            (GC.GetAllocatedBytesForCurrentThread() - allocated) / items, GC.CollectionCount(0) - gen0);
    }

    /// <summary>Prints the rows as a table, <paramref name="unit"/> naming what one item is ("event", "request").</summary>
    public static void Print(IEnumerable<StageRow> rows, string unit)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"stage",-54} {$"CPU ns/{unit}",14} {$"wall ns/{unit}",15} {$"bytes alloc/{unit}",19} {"gen0 GCs",8}"));
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {row.Name,-54} {row.CpuNs,14:N0} {row.WallNs,15:N0} {row.Bytes,19:N0} {row.Gen0,8}"));
        }
    }
}

using S3Slower.Aggregator.Output;

namespace S3Slower.Tests.Faults;

/// <summary>What operations.jsonl holds, read with the aggregator's own reader: per-request identity and per-collector sequence.</summary>
internal sealed class LogAudit
{
    private LogAudit(List<OperationRecord> records, long skipped, long rawLines)
    {
        Records = records;
        UnreadableLines = skipped;
        RawLines = rawLines;
        KeyCounts = records.Where(r => r.Key is not null).GroupBy(r => r.Key!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        SequenceDuplicates = records.GroupBy(r => (r.CollectorId, r.Seq)).Count(g => g.Count() > 1);
        Collectors = [.. records.Select(r => r.CollectorId).Distinct(StringComparer.Ordinal)];
    }

    public IReadOnlyList<OperationRecord> Records { get; }

    public long UnreadableLines { get; }

    public long RawLines { get; }

    public Dictionary<string, int> KeyCounts { get; }

    /// <summary>(collector_id, seq) pairs that appear more than once.</summary>
    public int SequenceDuplicates { get; }

    public IReadOnlyList<string> Collectors { get; }

    /// <summary>
    /// Reads the log until it holds every key of <paramref name="expected"/> and stops growing (idle connections' last
    /// requests are reported after a short delay), or a minute passes; returns the last reading.
    /// </summary>
    public static async Task<LogAudit> SettleAsync(string path, IReadOnlyCollection<string> expected)
    {
        LogAudit audit = Read(path);
        var settle = System.Diagnostics.Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var again = Read(path);
            bool stable = again.Records.Count == audit.Records.Count;
            audit = again;
            if (stable && expected.All(audit.KeyCounts.ContainsKey))
            {
                break;
            }
        }

        return audit;
    }

    public static LogAudit Read(string path)
    {
        if (!File.Exists(path))
        {
            return new LogAudit([], 0, 0);
        }

        var reader = new OperationsLogReader();
        var records = reader.Read(path).ToList();
        long raw = File.ReadLines(path).LongCount(l => l.Length > 0);
        return new LogAudit(records, reader.SkippedLines, raw);
    }

    /// <summary>Checks each expected key is present exactly once; returns a readable account of what is not.</summary>
    public (int Missing, int Duplicated, string Detail) Check(IEnumerable<string> expectedKeys)
    {
        var missing = new List<string>();
        var duplicated = new List<string>();
        foreach (string key in expectedKeys)
        {
            int n = KeyCounts.GetValueOrDefault(key);
            if (n == 0)
            {
                missing.Add(key);
            }
            else if (n > 1)
            {
                duplicated.Add($"{key} x{n}");
            }
        }

        string detail = $"records {Records.Count}, raw lines {RawLines}, unreadable lines {UnreadableLines}, (collector_id, seq) duplicates {SequenceDuplicates}, "
            + $"missing {missing.Count} (first: {string.Join(", ", missing.Take(5))}), duplicated {duplicated.Count} (first: {string.Join(", ", duplicated.Take(5))})";
        return (missing.Count, duplicated.Count, detail);
    }

    /// <summary>Collector id → its sequence numbers, sorted; gaps show loss, repeats show duplicates.</summary>
    public IReadOnlyDictionary<string, List<ulong>> SequencesByCollector() =>
        Records.GroupBy(r => r.CollectorId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(r => r.Seq).Order().ToList(), StringComparer.Ordinal);
}

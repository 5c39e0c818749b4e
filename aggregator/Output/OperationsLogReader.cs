using System.Text.Json;

namespace S3Slower.Aggregator.Output;

/// <summary>Reads <c>operations.jsonl</c> back: for <c>export</c>, and at start-up to learn what earlier runs stored.</summary>
public sealed class OperationsLogReader
{
    /// <summary>Lines that were not a record (a torn last line after a crash, foreign text).</summary>
    public long SkippedLines { get; private set; }

    public IEnumerable<OperationRecord> Read(string path)
    {
        using var reader = new StreamReader(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite });
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            OperationRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize(line, OutputJsonContext.Default.OperationRecord);
            }
            catch (JsonException)
            {
            }

            if (record is null)
            {
                SkippedLines++;
                continue;
            }

            yield return record;
        }
    }

    /// <summary>Next sequence number per collector id, i.e. one past the highest stored; empty when there is no log.</summary>
    public Dictionary<string, ulong> NextSequences(string path)
    {
        var next = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return next;
        }

        foreach (var r in Read(path))
        {
            if (r.CollectorId.Length > 0 && (!next.TryGetValue(r.CollectorId, out ulong n) || r.Seq + 1 > n))
            {
                next[r.CollectorId] = r.Seq + 1;
            }
        }

        return next;
    }
}

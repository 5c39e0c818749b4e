using S3Slower.Collector.Transport;

namespace S3Slower.Collector.Durability;

/// <summary>
/// <c>--state-dir</c>: the collector id and the journal. A collector that finds a journal continues as the same
/// collector (same id, next sequence number) and resends what the aggregator may not have; the aggregator drops what
/// it already has. Without a journal there is nothing to continue, and a new id starts from sequence 0.
/// </summary>
internal sealed class DurableState : IDisposable
{
    private const string IdFile = "collector-id";
    private const string JournalDirectory = "journal";

    private DurableState(string collectorId, EventSpool spool, EventJournal journal, JournalingSink sink, int resent)
    {
        CollectorId = collectorId;
        Spool = spool;
        Journal = journal;
        Sink = sink;
        Resent = resent;
    }

    public string CollectorId { get; }

    public EventSpool Spool { get; }

    public EventJournal Journal { get; }

    public JournalingSink Sink { get; }

    /// <summary>Journaled events put back in the spool to be sent again.</summary>
    public int Resent { get; }

    public static DurableState Open(string directory, int spoolCapacity, TextWriter log)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var journal = EventJournal.Open(Path.Combine(directory, JournalDirectory), log, out JournalRecovery recovery);
        var entries = ContiguousTail(recovery.Entries);
        string idPath = Path.Combine(directory, IdFile);
        string? id = File.Exists(idPath) ? File.ReadAllText(idPath).Trim() : null;
        if (entries.Count == 0 || !IsValidId(id))
        {
            if (entries.Count > 0)
            {
                log.WriteLine($"s3slower-collector: {idPath} is missing or damaged: the {entries.Count} journaled events cannot be matched with what the aggregator has, and are not resent");
                entries = [];
            }

            id = Guid.NewGuid().ToString("N");
            string temporary = idPath + ".tmp";
            File.WriteAllText(temporary, id + "\n");
            File.Move(temporary, idPath, overwrite: true);
        }

        if (entries.Count > spoolCapacity)
        {
            log.WriteLine($"s3slower-collector: the journal holds {entries.Count} events, more than --spool-events {spoolCapacity}: the oldest {entries.Count - spoolCapacity} are not resent");
            entries = entries.GetRange(entries.Count - spoolCapacity, spoolCapacity);
        }

        var spool = new EventSpool(spoolCapacity, entries.Count > 0 ? entries[0].Sequence : 0);
        foreach (JournalEntry entry in entries)
        {
            spool.TryPublish(entry.Event, out _);
        }

        spool.Flush();

        if (entries.Count > 0 || recovery.TornBytes > 0)
        {
            log.WriteLine($"s3slower-collector: journal in {directory}: continuing as collector {id}, {entries.Count} events to resend from sequence {(entries.Count > 0 ? entries[0].Sequence : 0)}" +
                (recovery.TornBytes > 0 ? $" ({recovery.TornBytes} bytes of a torn last write skipped)" : string.Empty));
        }

        return new DurableState(id!, spool, journal, new JournalingSink(spool, journal, recovery.Entries), entries.Count);
    }

    public void Dispose() => Journal.Dispose();

    /// <summary>The events to resend: sorted by sequence, the unbroken run that ends with the newest.</summary>
    private static List<JournalEntry> ContiguousTail(IReadOnlyList<JournalEntry> entries)
    {
        var sorted = entries.OrderBy(e => e.Sequence).ToList();
        int start = sorted.Count - 1;
        while (start > 0 && sorted[start - 1].Sequence + 1 == sorted[start].Sequence)
        {
            start--;
        }

        return start <= 0 ? sorted : sorted.GetRange(start, sorted.Count - start);
    }

    private static bool IsValidId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigit);
}

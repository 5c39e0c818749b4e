using S3Slower.Collector.Tracing;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Durability;

/// <summary>
/// The durable path from the assembler to the spool: each event is numbered by the spool and appended to the journal
/// with its origin; records are released once the journal is written. After a restart, the requests the previous
/// collector already journaled are rebuilt from the ring again and recognised by their origin, so they are not sent twice.
/// </summary>
internal sealed class JournalingSink : IEventSink, IRecordDurability
{
    private readonly EventSpool _spool;
    private readonly EventJournal _journal;
    private IReadOnlyList<JournalEntry> _recovered;
    private readonly HashSet<ulong> _alreadyJournaled = [];
    private ulong _lastJournaledOrigin;
    private long _rebuiltAgain;

    public JournalingSink(EventSpool spool, EventJournal journal, IReadOnlyList<JournalEntry> recovered)
    {
        _spool = spool;
        _journal = journal;
        _recovered = recovered;
    }

    /// <summary>Requests rebuilt from the ring that the previous collector had already journaled (and were not sent again).</summary>
    public long RebuiltAgain => Interlocked.Read(ref _rebuiltAgain);

    public void Attach(ulong ringIdentity)
    {
        _journal.RingIdentity = ringIdentity;
        foreach (JournalEntry entry in _recovered)
        {
            if (entry.RingIdentity == ringIdentity)
            {
                _alreadyJournaled.Add(entry.Origin);
                _lastJournaledOrigin = Math.Max(_lastJournaledOrigin, entry.Origin);
            }
        }

        _recovered = []; // the spool holds the events to resend; keeping them here would outlive their acknowledgement
    }

    public void Publish(ulong origin, RequestEvent request)
    {
        if (_alreadyJournaled.Count > 0 && _alreadyJournaled.Remove(origin))
        {
            Interlocked.Increment(ref _rebuiltAgain);
            return;
        }

        if (_spool.TryPublish(request, out ulong sequence))
        {
            _journal.Append(sequence, origin, request);
        }
    }

    public void Flush() => _spool.Flush();

    public void ReportKernelLost(ulong totalLost) => _spool.ReportKernelLost(totalLost);

    public bool Persist() => _journal.Flush();

    public void Released(ulong position)
    {
        _journal.Prune(_spool.FirstUnacknowledged, position);
        if (position > _lastJournaledOrigin)
        {
            _alreadyJournaled.Clear(); // nothing before the release point can be read again
        }
    }
}

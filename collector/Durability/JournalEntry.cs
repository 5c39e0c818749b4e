using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Durability;

/// <summary>One journaled event: its sequence number, and the ring buffer and position of the record that began it.</summary>
internal readonly record struct JournalEntry(ulong Sequence, ulong RingIdentity, ulong Origin, RequestEvent Event);

/// <summary>What an earlier collector left in the journal: its events in file order, and the bytes of torn entries skipped.</summary>
internal sealed record JournalRecovery(IReadOnlyList<JournalEntry> Entries, long TornBytes);

namespace S3Slower.Collector.Tracing;

/// <summary>
/// Lets ring-buffer records be released only once what they produced is safe: a killed collector then leaves the
/// records of its unfinished requests in the (pinned) ring, and the next collector rebuilds them.
/// </summary>
public interface IRecordDurability
{
    /// <summary>Called once, before the first record is read, with the identity of the ring the records come from.</summary>
    void Attach(ulong ringIdentity);

    /// <summary>Makes every event published so far survive the process. False when it cannot: records are then released at once.</summary>
    bool Persist();

    /// <summary>The kernel may now reuse the ring before <paramref name="position"/>.</summary>
    void Released(ulong position);
}

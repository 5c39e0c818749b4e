using S3Slower.Collector.Durability;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Durability;

/// <summary>
/// <c>--state-dir</c> across a kill: the next collector is the same collector (id, sequence numbers), resends what was
/// journaled, and does not send twice the requests it rebuilds from the ring.
/// </summary>
public sealed class DurableStateTests : IDisposable
{
    private const ulong Ring = 77;
    private readonly string _dir = Directory.CreateTempSubdirectory("s3slower-state-").FullName;

    [Fact]
    public void AKilledCollectorIsContinuedWithTheSameIdAndSequence()
    {
        string id;
        {
            var first = DurableState.Open(_dir, 100, TextWriter.Null);
            id = first.CollectorId;
            first.Sink.Attach(Ring);
            for (ulong i = 0; i < 5; i++)
            {
                first.Sink.Publish(i * 100, EventJournalTests.Event("k" + i));
            }

            Assert.True(first.Sink.Persist());
            first.Spool.Acknowledge(2); // the aggregator has 0 and 1; then kill -9: no Dispose
        }

        using var second = DurableState.Open(_dir, 100, TextWriter.Null);
        Assert.Equal(id, second.CollectorId);
        Assert.Equal(5, second.Resent);
        var resent = new List<RequestEvent>();
        Assert.Equal(0UL, second.Spool.CopyFrom(0, 100, resent));
        Assert.Equal(["/bucket/k0", "/bucket/k1", "/bucket/k2", "/bucket/k3", "/bucket/k4"], resent.Select(e => e.Target));

        second.Sink.Attach(Ring);
        second.Sink.Publish(300, EventJournalTests.Event("k3"));  // rebuilt from the ring: already journaled
        second.Sink.Publish(500, EventJournalTests.Event("k5"));  // new
        Assert.Equal(1, second.Sink.RebuiltAgain);
        Assert.Equal(5UL, second.Spool.CopyFrom(5, 100, resent));
        Assert.Equal(["/bucket/k5"], resent.Select(e => e.Target));
    }

    [Fact]
    public void RequestsOfAnotherRingAreNotMistakenForRebuiltOnes()
    {
        {
            var first = DurableState.Open(_dir, 100, TextWriter.Null);
            first.Sink.Attach(Ring);
            first.Sink.Publish(300, EventJournalTests.Event("old"));
            first.Sink.Persist();
        }

        using var second = DurableState.Open(_dir, 100, TextWriter.Null);
        second.Sink.Attach(Ring + 1); // unpinned or rebooted: position 300 is another request now
        second.Sink.Publish(300, EventJournalTests.Event("new"));
        Assert.Equal(0, second.Sink.RebuiltAgain);
        Assert.Equal(2, second.Spool.Pending);
    }

    [Fact]
    public void WithoutAJournalThereIsNothingToContinueAndANewIdStarts()
    {
        string first;
        using (var state = DurableState.Open(_dir, 100, TextWriter.Null))
        {
            first = state.CollectorId;
        }

        using var again = DurableState.Open(_dir, 100, TextWriter.Null);
        Assert.NotEqual(first, again.CollectorId);
        Assert.Equal(0, again.Spool.Pending);
        Assert.Equal(32, again.CollectorId.Length);
    }

    [Fact]
    public void ADamagedIdFileMeansANewCollectorAndASaidLoss()
    {
        {
            var first = DurableState.Open(_dir, 100, TextWriter.Null);
            first.Sink.Attach(Ring);
            first.Sink.Publish(1, EventJournalTests.Event("x"));
            first.Sink.Persist();
        }

        File.WriteAllText(Path.Combine(_dir, "collector-id"), "not an id");
        var log = new StringWriter();
        using var second = DurableState.Open(_dir, 100, log);
        Assert.Equal(0, second.Resent);
        Assert.Contains("missing or damaged", log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

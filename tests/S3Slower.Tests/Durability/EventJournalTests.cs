using System.Diagnostics;
using S3Slower.Collector.Durability;
using S3Slower.Shared.Protocol;
using S3Slower.Tests.Faults;

namespace S3Slower.Tests.Durability;

/// <summary>The collector's write-ahead journal: what is flushed survives the process, torn writes are cut, segments go once safe.</summary>
public sealed class EventJournalTests : IDisposable
{
    private const ulong Ring = 0xABCD_0000_0042;
    private readonly string _dir = Directory.CreateTempSubdirectory("s3slower-journal-").FullName;

    [Fact]
    public void FlushedEntriesAreReadBackWithTheirSequenceOriginAndFields()
    {
        using (var journal = Open(out _))
        {
            journal.Append(7, 4096, Event("a"));
            journal.Append(8, 8192, Event("b"));
            Assert.True(journal.Flush());
        }

        using var reopened = Open(out var recovery);
        Assert.Equal([(7UL, 4096UL, "/bucket/a"), (8UL, 8192UL, "/bucket/b")], recovery.Entries.Select(e => (e.Sequence, e.Origin, e.Event.Target)));
        Assert.All(recovery.Entries, e => Assert.Equal(Ring, e.RingIdentity));
        Assert.Equal(0, recovery.TornBytes);
        var first = recovery.Entries[0].Event;
        Assert.Equal(("GET", 200, "REQ-a", 1234L), (first.Method, first.Status, first.RequestId, first.ResponseBodyBytes));
    }

    [Fact]
    public void AppendedButNotFlushedIsNotOnDisk()
    {
        var journal = Open(out _);
        journal.Append(0, 0, Event("flushed"));
        journal.Flush();
        journal.Append(1, 64, Event("lost"));

        // No Dispose: the process is gone (kill -9) and only what was written is in the file.
        using var reopened = Open(out var recovery);
        Assert.Equal(["/bucket/flushed"], recovery.Entries.Select(e => e.Event.Target));
    }

    [Fact]
    public void ATornLastEntryIsCutAndTheRestKept()
    {
        using (var journal = Open(out _))
        {
            journal.Append(0, 0, Event("whole"));
            journal.Append(1, 64, Event("torn"));
            journal.Flush();
        }

        string segment = Directory.GetFiles(_dir).Single();
        long length = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(length - 5);
        }

        using var reopened = Open(out var recovery);
        Assert.Equal(["/bucket/whole"], recovery.Entries.Select(e => e.Event.Target));
        Assert.True(recovery.TornBytes > 0);
    }

    [Fact]
    public void GarbageFilesAreSkippedNotFatal()
    {
        File.WriteAllBytes(Path.Combine(_dir, "0000-garbage.s3sj"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);

        using var journal = Open(out var recovery);
        Assert.Empty(recovery.Entries);
        Assert.Equal(18, recovery.TornBytes);
    }

    [Fact]
    public void ASegmentGoesOnlyWhenAcknowledgedAndReleasedAndANewerOneExists()
    {
        using (var journal = Open(out _))
        {
            journal.Append(0, 100, Event("a"));
            journal.Append(1, 200, Event("b"));
            journal.Flush();
        }

        using var next = Open(out _);
        next.Prune(firstUnacknowledged: 2, released: 1000);
        Assert.Single(Directory.GetFiles(_dir)); // the newest sequence number must stay on disk until a later one is written

        next.Append(2, 300, Event("c"));
        next.Flush();
        next.Prune(firstUnacknowledged: 1, released: 1000);
        Assert.Equal(2, Directory.GetFiles(_dir).Length); // sequence 1 not acknowledged yet
        next.Prune(firstUnacknowledged: 2, released: 200);
        Assert.Equal(2, Directory.GetFiles(_dir).Length); // the request at 200 can still be rebuilt from the ring
        next.Prune(firstUnacknowledged: 2, released: 201);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void SegmentsRollOverAndTheClosedOnesGoOnceAcknowledged()
    {
        ulong written = 0;
        using (var journal = Open(out _))
        {
            while (journal.SegmentCount < 2 || written % 1000 != 0)
            {
                journal.Append(written, written * 64, Event("k" + written));
                written++;
                if (written % 1000 == 0)
                {
                    Assert.True(journal.Flush());
                }
            }

            Assert.Equal(2, Directory.GetFiles(_dir).Length);
            journal.Prune(firstUnacknowledged: written - 1, released: ulong.MaxValue);
            Assert.Single(Directory.GetFiles(_dir)); // the closed segment; the one being written stays
        }

        using var reopened = Open(out var recovery);
        Assert.NotEmpty(recovery.Entries);
        Assert.Equal(written - 1, recovery.Entries[^1].Sequence);
        Assert.Equal(Enumerable.Range(0, recovery.Entries.Count).Select(i => recovery.Entries[0].Sequence + (ulong)i), recovery.Entries.Select(e => e.Sequence));
    }

    [Fact]
    public void OriginsOfAnotherRingDoNotHoldASegment()
    {
        using (var journal = Open(out _, ring: 1))
        {
            journal.Append(0, 5000, Event("a"));
            journal.Flush();
        }

        using var next = Open(out _);
        next.Append(1, 10, Event("b"));
        next.Flush();
        next.Prune(firstUnacknowledged: 1, released: 11);
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void AFullDiskStopsTheJournalWithAMessageAndItResumesWhenSpaceReturns()
    {
        FaultEnvironment.RequireRoot("it mounts a tmpfs");
        string mount = Directory.CreateDirectory(Path.Combine(_dir, "small")).FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount);
        try
        {
            var log = new StringWriter();
            using var journal = EventJournal.Open(mount, log, out _);
            journal.RingIdentity = Ring;
            bool healthy = true;
            for (ulong i = 0; i < 10_000 && healthy; i++)
            {
                journal.Append(i, i * 64, Event("k" + i));
                healthy = journal.Flush();
            }

            Assert.False(journal.Healthy);
            Assert.Contains("journal in " + mount + " stopped", log.ToString(), StringComparison.Ordinal);
            journal.Append(99_999, 0, Event("still full"));
            Assert.False(journal.Flush());

            // Space comes back: after RetryAfter the journal writes again, in a new segment.
            foreach (string file in Directory.GetFiles(mount))
            {
                File.Delete(file);
            }

            journal.RetryAfter = TimeSpan.Zero;
            journal.Append(100_000, 0, Event("after"));
            Assert.True(journal.Flush());
            Assert.True(journal.Healthy);
            Assert.Contains("writing again", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Run("umount", mount);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static RequestEvent Event(string key) => new()
    {
        RequestStartNs = 1_000,
        RequestEndNs = 2_000,
        ResponseStartNs = 3_000,
        ResponseEndNs = 4_000,
        ResponseBodyBytes = 1234,
        Pid = 42,
        Tid = 42,
        Comm = "curl",
        Method = "GET",
        Target = "/bucket/" + key,
        Host = "127.0.0.1:9000",
        Status = 200,
        RequestId = "REQ-" + key,
        ConnectionId = 9,
    };

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(file, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private EventJournal Open(out JournalRecovery recovery, ulong ring = Ring)
    {
        var journal = EventJournal.Open(_dir, TextWriter.Null, out recovery);
        journal.RingIdentity = ring;
        return journal;
    }
}

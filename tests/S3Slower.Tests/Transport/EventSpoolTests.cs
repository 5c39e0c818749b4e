using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Tests.Transport;

public sealed class EventSpoolTests
{
    [Fact]
    public void EventsFromTheRingWakeTheSenderOncePerPassNotPerEvent()
    {
        var spool = new EventSpool(10_000);
        IEventSink sink = spool;
        for (int i = 0; i < 100; i++)
        {
            sink.Publish((ulong)i, Event(i));
        }

        Assert.Equal(0, spool.Available.CurrentCount);
        sink.Flush();
        Assert.Equal(1, spool.Available.CurrentCount);

        Assert.True(spool.Available.Wait(0));
        sink.Flush();
        Assert.Equal(0, spool.Available.CurrentCount); // nothing new since the last pass
        Assert.Equal(100, spool.Pending);
    }

    [Fact]
    public void AFullFrameIsSignalledWithoutWaitingForTheEndOfThePass()
    {
        var spool = new EventSpool(10_000);
        IEventSink sink = spool;
        for (int i = 0; i < ProtocolConstants.MaxEventsPerBatch - 1; i++)
        {
            sink.Publish((ulong)i, Event(i));
        }

        Assert.Equal(0, spool.Available.CurrentCount);
        sink.Publish(0, Event(0));
        Assert.Equal(1, spool.Available.CurrentCount);
    }

    [Fact]
    public void APublishOutsideThePollerIsReadyAtOnce()
    {
        var spool = new EventSpool(10);
        spool.Publish(Event(1));
        Assert.Equal(1, spool.Available.CurrentCount);
    }

    private static RequestEvent Event(int i) => new() { Pid = i, Method = "GET", Target = "/b/k", Comm = "test" };
}

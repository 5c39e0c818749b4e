using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Transport;

/// <summary>
/// Events numbered in arrival order and kept until the aggregator acknowledges them, so an aggregator restart loses
/// nothing up to <see cref="Capacity"/>. Beyond it new events are refused and counted — loss is reported, never silent.
/// </summary>
public sealed class EventSpool : IEventSink
{
    private readonly Lock _lock = new();
    private readonly RequestEvent[] _ring;
    private ulong _firstUnacked;
    private ulong _next;
    private ulong _dropped;
    private ulong _kernelLost;
    private ulong _published;
    private int _unsignaled;

    /// <param name="capacity">Events kept at most.</param>
    /// <param name="firstSequence">The sequence number of the first event: where a journaled collector left off.</param>
    public EventSpool(int capacity, ulong firstSequence = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new RequestEvent[capacity];
        _firstUnacked = _next = firstSequence;
    }

    public int Capacity => _ring.Length;

    /// <summary>
    /// Signalled when published events are ready to send: at <see cref="Flush"/>, or as soon as a full frame's worth
    /// has gathered. Each signal wakes the sender, a thread switch in both processes, so events are not signalled one
    /// by one.
    /// </summary>
    public SemaphoreSlim Available { get; } = new(0);

    public ulong Dropped => Interlocked.Read(ref _dropped);

    public ulong KernelLost => Interlocked.Read(ref _kernelLost);

    public ulong Published => Interlocked.Read(ref _published);

    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return (int)(_next - _firstUnacked);
            }
        }
    }

    /// <summary>The lowest sequence number not yet acknowledged.</summary>
    public ulong FirstUnacknowledged
    {
        get
        {
            lock (_lock)
            {
                return _firstUnacked;
            }
        }
    }

    /// <summary>Keeps one event and makes it ready to send at once.</summary>
    public void Publish(RequestEvent request)
    {
        TryPublish(request, out _);
        Flush();
    }

    void IEventSink.Publish(ulong origin, RequestEvent request) => TryPublish(request, out _);

    /// <summary>Numbers and keeps one event; false (and counted as dropped) when the spool is full.</summary>
    public bool TryPublish(RequestEvent request, out ulong sequence)
    {
        lock (_lock)
        {
            sequence = _next;
            if (_next - _firstUnacked >= (ulong)_ring.Length)
            {
                _dropped++;
                return false;
            }

            _ring[_next % (ulong)_ring.Length] = request;
            _next++;
            _published++;
            if (++_unsignaled < ProtocolConstants.MaxEventsPerBatch)
            {
                return true;
            }

            _unsignaled = 0;
        }

        Signal();
        return true;
    }

    public void Flush()
    {
        lock (_lock)
        {
            if (_unsignaled == 0)
            {
                return;
            }

            _unsignaled = 0;
        }

        Signal();
    }

    private void Signal()
    {
        if (Available.CurrentCount == 0)
        {
            Available.Release();
        }
    }

    public void ReportKernelLost(ulong totalLost) => Interlocked.Exchange(ref _kernelLost, totalLost);

    /// <summary>Releases every event below <paramref name="nextSequence"/>.</summary>
    public void Acknowledge(ulong nextSequence)
    {
        lock (_lock)
        {
            ulong end = Math.Min(nextSequence, _next);
            for (ulong seq = _firstUnacked; seq < end; seq++)
            {
                _ring[seq % (ulong)_ring.Length] = null!;
            }

            _firstUnacked = Math.Max(_firstUnacked, end);
        }
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> events from <paramref name="from"/> on (clamped to what is still spooled)
    /// into <paramref name="destination"/>; returns the sequence number of the first one copied.
    /// </summary>
    public ulong CopyFrom(ulong from, int max, List<RequestEvent> destination)
    {
        destination.Clear();
        lock (_lock)
        {
            ulong start = Math.Max(from, _firstUnacked);
            ulong end = Math.Min(_next, start + (ulong)max);
            for (ulong seq = start; seq < end; seq++)
            {
                destination.Add(_ring[seq % (ulong)_ring.Length]);
            }

            return start;
        }
    }

    public CollectorCounters Counters(ulong malformed) =>
        new(KernelLost, Dropped, malformed, Published);
}

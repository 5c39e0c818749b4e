using S3Slower.Collector.Bpf;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// One of the bench's reference tracers from Bpf/bare.bpf.c, attached to the collector's send and receive hooks, in
/// this process. <see cref="BareTracerKind.Reporting"/> is the least a tracer that reports every request does (one
/// timestamp per request, one fixed-size record per response, drained every 50 ms like the collector's ring, no byte
/// copied, no user-space work): its throughput next to the collector's tells what the hooks themselves cost this load
/// from what S3Slower's work per request costs it. <see cref="BareTracerKind.Empty"/> programs return at once.
/// </summary>
internal sealed class BareTracer : IDisposable
{
    public const string EmptyPrefix = "bare_empty_";

    private const string ResourceName = "bare.bpf.o";
    private const string RingMap = "bare_records";
    private const int DrainIntervalMs = 50;

    private readonly BpfObject _bpf;
    private readonly RingBufferReader? _reader;
    private readonly Thread? _drainer;
    private volatile bool _stopping;
    private long _records;

    private BareTracer(BpfObject bpf, RingBufferReader? reader)
    {
        _bpf = bpf;
        _reader = reader;
        if (reader is not null)
        {
            _drainer = new Thread(Drain) { IsBackground = true, Name = "bare tracer ring" };
            _drainer.Start();
        }
    }

    /// <summary>Records read from the ring so far: one per response the tracer saw.</summary>
    public long Records => Volatile.Read(ref _records);

    public static BareTracer Attach(BareTracerKind kind)
    {
        using Stream stream = typeof(BareTracer).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the bench was built without {ResourceName}");
        byte[] image = new byte[stream.Length];
        stream.ReadExactly(image);
        var bpf = BpfObject.Open(image);
        try
        {
            bool empty = kind == BareTracerKind.Empty;
            bpf.SkipPrograms(name => name.StartsWith(EmptyPrefix, StringComparison.Ordinal) != empty);
            bpf.Load(debug: false);
            _ = bpf.AttachTracepoints();
            var reader = empty ? null : new RingBufferReader(Libbpf.MapFd(bpf.Map(RingMap)), bpf.MaxEntries(RingMap));
            return new BareTracer(bpf, reader);
        }
        catch
        {
            bpf.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _drainer?.Join();
        _reader?.Dispose();
        _bpf.Dispose();
    }

    private void Drain()
    {
        var reader = _reader!;
        RingRecordHandler count = (_, _) => _records++;
        while (!_stopping)
        {
            Thread.Sleep(DrainIntervalMs);
            _ = reader.Read(count);
            reader.Release(reader.ReadPosition);
        }

        _ = reader.Read(count);
    }
}

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using S3Slower.Collector.Bpf;
using S3Slower.Collector.Tls;
using S3Slower.Collector.Tracing;
using S3Slower.Shared.Protocol;
using S3Slower.Tests.Tracing;

namespace S3Slower.Tests.Tls;

/// <summary>One raw ring-buffer record (struct s3s_record + copied bytes), as the kernel programs emitted it.</summary>
internal sealed record RawRecord(ulong ConnId, long Bytes, int Tgid, int Tid, uint Fd, ushort Kind, ushort Flags, ushort PeerPort, string Comm, byte[] Data, byte[] Raw)
{
    public const ushort KindWrite = 1;
    public const ushort KindRead = 2;
    public const ushort KindClose = 4;
    public const ushort KindExit = 5;
    public const ushort FlagNewConn = 1;
    public const ushort FlagMethod = 2;
    public const ushort FlagTls = 4;
    public const uint NoFd = 0xffffffff;

    public bool IsTls => (Flags & FlagTls) != 0;

    public string Text => Encoding.ASCII.GetString(Data);
}

/// <summary>
/// Loads the real collector BPF object, attaches the socket tracepoints and the TLS tracer, and collects every record
/// of the shared <c>events</c> ring buffer. Every HTTP request is tracked (as <c>--all-http</c>) unless a test says
/// otherwise. Root only.
/// </summary>
internal sealed class TlsKernelHarness : IDisposable
{
    private const int RecordHeader = 96;
    private readonly BpfObject _bpf;
    private readonly TlsNative.RingBufferSample _callback;
    private readonly nint _ring;
    private readonly Thread _poller;
    private volatile bool _stop;

    public TlsKernelHarness(TlsTracerOptions options)
    {
        BpfPreflight.Check(TextWriter.Null);
        _bpf = BpfObject.Open();
        _bpf.SetMaxEntries("events", 4 << 20);
        _bpf.Load(debug: false);
        SetAllHttp(true);
        _bpf.AttachTracepoints();
        Tracer = TlsTracer.Start(options, _bpf.Handle, Log);
        _callback = OnRecord;
        _ring = TlsNative.ring_buffer__new(
            TlsNative.bpf_map__fd(_bpf.Map("events")), Marshal.GetFunctionPointerForDelegate(_callback), 0, 0);
        Assert.NotEqual(0, _ring);
        _poller = new Thread(() =>
        {
            while (!_stop)
            {
                // The kernel wakes readers only when the ring is a quarter full: drain on a timer as the collector does.
                _ = TlsNative.ring_buffer__poll(_ring, 20);
                _ = TlsNative.ring_buffer__consume(_ring);
            }
        })
        { IsBackground = true };
        _poller.Start();
    }

    public TlsTracer Tracer { get; }

    /// <summary>
    /// The kernel's S3-only filter: on (false) only connections whose first request is signed for S3 are tracked.
    /// No process is excluded, not even this one: some tests run their client in the test process.
    /// </summary>
    public void SetAllHttp(bool all) => _bpf.Update(KernelConfig.MapName, 0u, new KernelConfig { AllHttp = all ? 1u : 0u });

    public StringWriter Log { get; } = new();

    public ConcurrentQueue<RawRecord> Records { get; } = new();

    /// <summary>Connection records of one process, after the ring buffer drained (its exit record aside).</summary>
    public List<RawRecord> RecordsOf(int pid)
    {
        Thread.Sleep(300);
        return [.. Records.Where(r => r.Tgid == pid && r.Kind != RawRecord.KindExit)];
    }

    /// <summary>The records that said the process exited (one for a traced process that ended).</summary>
    public List<RawRecord> ExitsOf(int pid) => [.. Records.Where(r => r.Tgid == pid && r.Kind == RawRecord.KindExit)];

    /// <summary>Feeds one process's records through the collector's request assembler, as the real session does.</summary>
    public List<RequestEvent> Assemble(int pid, Func<RawRecord, bool>? include = null)
    {
        var sink = new CollectingSink();
        var assembler = new RequestAssembler(sink, new AssemblerOptions { AllHttp = true }, mono => (long)mono);
        foreach (var record in RecordsOf(pid).Where(include ?? (_ => true)))
        {
            Assert.True(KernelRecord.TryRead(record.Raw, out var header, out var data));
            assembler.OnRecord(in header, data);
        }

        assembler.FlushAll();
        return [.. sink.Events];
    }

    public void Dispose()
    {
        _stop = true;
        _poller.Join();
        TlsNative.ring_buffer__free(_ring);
        Tracer.Dispose();
        _bpf.Dispose();
    }

    private int OnRecord(nint context, nint data, nuint size)
    {
        var bytes = new byte[(int)size];
        Marshal.Copy(data, bytes, 0, bytes.Length);
        if (bytes.Length < RecordHeader)
        {
            return 0;
        }

        var span = bytes.AsSpan();
        var copied = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(span[48..]), (uint)(bytes.Length - RecordHeader));
        var comm = Encoding.ASCII.GetString(span.Slice(72, 16)).TrimEnd('\0');
        Records.Enqueue(new RawRecord(
            BinaryPrimitives.ReadUInt64LittleEndian(span[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[32..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[36..]),
            BinaryPrimitives.ReadUInt32LittleEndian(span[40..]),
            BinaryPrimitives.ReadUInt16LittleEndian(span[44..]),
            BinaryPrimitives.ReadUInt16LittleEndian(span[46..]),
            BinaryPrimitives.ReadUInt16LittleEndian(span[54..]),
            comm,
            span.Slice(RecordHeader, copied).ToArray(),
            bytes));
        return 0;
    }
}

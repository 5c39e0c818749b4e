using System.Text;
using S3Slower.Collector.Bpf;
using S3Slower.Collector.Tracing;

namespace S3Slower.Tests.Tracing;

/// <summary>Plays the kernel: feeds the assembler records as the BPF programs would emit them for one connection.</summary>
internal sealed class RecordFeed
{
    private const int CopyMax = 2048;
    private readonly uint _fd;
    private readonly ulong _connectionId;
    private bool _known;
    private bool _inRequest;
    private long _requestSeen;
    private long _responseSeen;

    public RecordFeed(RequestAssembler assembler, ulong connectionId = 7, uint fd = 5)
    {
        Assembler = assembler;
        _connectionId = connectionId;
        _fd = fd;
    }

    public RequestAssembler Assembler { get; }

    /// <summary>Monotonic "now"; every syscall takes 1 µs and advances it by 10 µs.</summary>
    public ulong Now { get; set; } = 1_000_000_000;

    public void Write(string text) => Write(Encoding.ASCII.GetBytes(text));

    public void Write(byte[] data)
    {
        bool method = (!_known || !_inRequest) && StartsWithMethod(data);
        var flags = KernelRecordFlags.None;
        if (method)
        {
            flags |= KernelRecordFlags.Method;
        }

        if (!_known)
        {
            if (!method)
            {
                return;
            }

            flags |= KernelRecordFlags.NewConnection;
            _known = true;
        }
        else if (method && !_inRequest)
        {
            _requestSeen = 0;
        }
        else if (!_inRequest)
        {
            _requestSeen = CopyMax;
        }

        _inRequest = true;
        int copy = (int)Math.Min(data.Length, Math.Max(0, CopyMax - _requestSeen));
        _requestSeen += data.Length;
        Emit(KernelRecordKind.Write, flags, data.Length, data.AsSpan(0, copy), default);
    }

    public void Read(string text) => Read(Encoding.ASCII.GetBytes(text));

    public void Read(byte[] data)
    {
        if (_inRequest)
        {
            _inRequest = false;
            _responseSeen = 0;
        }

        int copy = (int)Math.Min(data.Length, Math.Max(0, CopyMax - _responseSeen));
        _responseSeen += data.Length;
        // As the kernel does: the tail is sent apart only when the copy does not end with it.
        ReadOnlySpan<byte> tail = copy < data.Length ? data.AsSpan(Math.Max(0, data.Length - 8)) : default;
        Emit(KernelRecordKind.Read, KernelRecordFlags.None, data.Length, data.AsSpan(0, copy), tail);
    }

    public void Eof() => Emit(KernelRecordKind.Eof, KernelRecordFlags.None, 0, default, default);

    public void Close() => Emit(KernelRecordKind.Close, KernelRecordFlags.None, 0, default, default);

    /// <summary>The process (pid 42, every feed's) exited: the kernel's record carries no connection.</summary>
    public void ProcessExit() => Emit(KernelRecordKind.Exit, KernelRecordFlags.None, 0, default, default, connectionId: 0);

    /// <summary>Monotonic time when the syscall that was fed last returned.</summary>
    public ulong LastExit { get; private set; }

    /// <summary>Monotonic time when the syscall that was fed last entered.</summary>
    public ulong LastEnter { get; private set; }

    private void Emit(KernelRecordKind kind, KernelRecordFlags flags, long bytes, ReadOnlySpan<byte> copied, ReadOnlySpan<byte> tail, ulong? connectionId = null)
    {
        var record = new KernelRecord
        {
            EnterNs = Now,
            ExitNs = Now + 1_000,
            ConnectionId = connectionId ?? _connectionId,
            Bytes = bytes,
            Tgid = 42,
            Tid = 43,
            Fd = _fd,
            Kind = kind,
            Flags = flags,
            Copied = (uint)copied.Length,
            PeerFamily = 2,
            PeerPort = 4568,
        };
        record.PeerAddr[0] = 127;
        record.PeerAddr[3] = 1;
        "client"u8.CopyTo(record.Comm);
        tail.CopyTo(record.Tail);
        LastEnter = record.EnterNs;
        LastExit = record.ExitNs;
        Now += 10_000;
        Assembler.OnRecord(in record, copied);
    }

    private static bool StartsWithMethod(ReadOnlySpan<byte> data) =>
        data.StartsWith("GET "u8) || data.StartsWith("PUT "u8) || data.StartsWith("POST "u8) || data.StartsWith("HEAD "u8) || data.StartsWith("DELETE "u8);
}

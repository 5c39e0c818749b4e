using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>Mirror of <c>struct s3s_record</c> (bpf/s3slower.h): the header of every ring-buffer record.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal struct KernelRecord
{
    public const int Size = 96;
    public const int CommLength = 16;
    public const int TailLength = 8;

    public ulong EnterNs;
    public ulong ExitNs;
    public ulong ConnectionId;
    public long Bytes;
    public uint Tgid;
    public uint Tid;
    public uint Fd;
    public KernelRecordKind Kind;
    public KernelRecordFlags Flags;
    public uint Copied;
    public ushort PeerFamily;
    public ushort PeerPort;
    public PeerAddress PeerAddr;
    public CommBuffer Comm;
    public TailBuffer Tail;

    /// <summary>Reads a record header and its copied bytes; false when the record is malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> raw, out KernelRecord record, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (raw.Length < Size)
        {
            record = default;
            return false;
        }

        record = MemoryMarshal.Read<KernelRecord>(raw);
        if (record.Copied > (uint)(raw.Length - Size))
        {
            return false;
        }

        data = raw.Slice(Size, (int)record.Copied);
        return true;
    }

    /// <summary>
    /// The last bytes of a read (<see cref="TailLength"/> or fewer when the read was shorter): the end of
    /// <paramref name="data"/> when the whole read was copied, since the kernel then leaves <see cref="Tail"/> empty.
    /// Otherwise the kernel's, of which only the bytes that can end a chunked body are kept (the others are zero: the
    /// end of a read is object data), which is all the chunked-terminator test needs.
    /// </summary>
    public readonly ReadOnlySpan<byte> TailOf(ReadOnlySpan<byte> data)
    {
        int n = Bytes <= 0 ? 0 : (int)Math.Min(Bytes, TailLength);
        return Bytes > 0 && data.Length == Bytes
            ? data[^n..]
            : MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in Tail[0]), TailLength)[..n];
    }
}

[InlineArray(16)]
internal struct PeerAddress
{
    private byte _element;
}

[InlineArray(KernelRecord.CommLength)]
internal struct CommBuffer
{
    private byte _element;
}

[InlineArray(KernelRecord.TailLength)]
internal struct TailBuffer
{
    private byte _element;
}

/// <summary><c>enum s3s_kind</c>.</summary>
internal enum KernelRecordKind : ushort
{
    Write = 1,
    Read = 2,
    Eof = 3,
    Close = 4,

    /// <summary>The whole process exited: its sockets are closed by the kernel, without close(2).</summary>
    Exit = 5,
}

/// <summary>Record flags (<c>S3S_REC_*</c>).</summary>
[Flags]
internal enum KernelRecordFlags : ushort
{
    None = 0,
    NewConnection = 1 << 0,
    Method = 1 << 1,
    Tls = 1 << 2,
}

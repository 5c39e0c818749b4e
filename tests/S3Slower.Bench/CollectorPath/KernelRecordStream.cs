using System.Runtime.InteropServices;
using System.Text;
using S3Slower.Bench.Overhead;
using S3Slower.Collector.Bpf;

namespace S3Slower.Bench.CollectorPath;

/// <summary>
/// The ring-buffer records the kernel emits for the overhead bench's HTTP load: wrk's signed GET written whole, then
/// the responder's answer read whole (of which only the head is copied), on a few keep-alive connections in turn, byte
/// for byte as the BPF programs lay them out (header, then the copied bytes).
/// </summary>
internal sealed class KernelRecordStream
{
    private const uint ClientTgid = 4242;
    private const ushort AfInet = 2;
    private const ushort ServerPort = 18080;
    private const int SyscallNs = 2_000;
    private const int RequestSpacingNs = 25_000;

    private KernelRecordStream(byte[][] records) => Records = records;

    /// <summary>Two records per request, in the order the ring holds them.</summary>
    public byte[][] Records { get; }

    public static KernelRecordStream Create(int requests, int connections)
    {
        byte[] request = Encoding.ASCII.GetBytes(
            $"GET {WrkRunner.RequestPath} HTTP/1.1\r\nHost: 127.0.0.1:{ServerPort}\r\n" +
            string.Concat(WrkRunner.Headers.Select(h => $"{h.Name}: {h.Value}\r\n")) + "\r\n");
        byte[] response = S3ResponderServer.Response.ToArray();
        var records = new byte[requests * 2][];
        ulong now = 1_000_000_000;
        for (int i = 0; i < requests; i++)
        {
            ulong connection = (ulong)(i % connections) + 1;
            var flags = KernelRecordFlags.Method | (i < connections ? KernelRecordFlags.NewConnection : KernelRecordFlags.None);
            records[2 * i] = Record(KernelRecordKind.Write, flags, connection, now, request, request.Length);
            records[(2 * i) + 1] = Record(KernelRecordKind.Read, KernelRecordFlags.None, connection, now + (SyscallNs * 4), response, HeadLength(response));
            now += RequestSpacingNs;
        }

        return new KernelRecordStream(records);
    }

    private static int HeadLength(byte[] message) => message.AsSpan().IndexOf("\r\n\r\n"u8) + 4;

    private static byte[] Record(KernelRecordKind kind, KernelRecordFlags flags, ulong connection, ulong enterNs, byte[] message, int copied)
    {
        ReadOnlySpan<byte> data = message.AsSpan(0, copied);
        var header = new KernelRecord
        {
            EnterNs = enterNs,
            ExitNs = enterNs + SyscallNs,
            ConnectionId = connection,
            Bytes = message.Length,
            Tgid = ClientTgid,
            Tid = ClientTgid,
            Fd = (uint)(3 + connection),
            Kind = kind,
            Flags = flags,
            Copied = (uint)data.Length,
            PeerFamily = AfInet,
            PeerPort = ServerPort,
        };
        header.PeerAddr[0] = 127;
        header.PeerAddr[3] = 1;
        "wrk"u8.CopyTo(header.Comm);
        if (copied < message.Length)
        {
            // As s3s_read_tail leaves it: only the bytes after the last one that cannot belong to a chunked terminator.
            ReadOnlySpan<byte> end = message.AsSpan(message.Length - KernelRecord.TailLength);
            int keep = end.Length - end.LastIndexOfAnyExcept("\r\n0"u8) - 1;
            end[^keep..].CopyTo(header.Tail[(KernelRecord.TailLength - keep)..]);
        }

        var record = new byte[KernelRecord.Size + data.Length];
        MemoryMarshal.Write(record, in header);
        data.CopyTo(record.AsSpan(KernelRecord.Size));
        return record;
    }
}

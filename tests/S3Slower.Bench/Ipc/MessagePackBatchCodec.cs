using System.Buffers;
using System.Net.Sockets;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ipc;

/// <summary>
/// The project's protocol, serialized for real (not pre-encoded): <see cref="FrameCodec"/> frames of up to 4096 events,
/// one send() per frame, read with <see cref="FrameStreamReader"/> and decoded with <see cref="FrameCodec.ReadBody{T}"/>.
/// </summary>
internal sealed class MessagePackBatchCodec : IIpcCodec
{
    public string Description => "MessagePack EventBatch frames of 4096 events (FrameCodec), serialized per batch";

    public void Send(Socket socket, IReadOnlyList<RequestEvent> pool, long count)
    {
        var buffer = new ArrayBufferWriter<byte>(2 * 1024 * 1024);
        var batch = new RequestEvent[ProtocolConstants.MaxEventsPerBatch];
        ulong sequence = 0;
        long sent = 0;
        while (sent < count)
        {
            int n = (int)Math.Min(batch.Length, count - sent);
            for (int i = 0; i < n; i++)
            {
                batch[i] = pool[(int)((sent + i) % pool.Count)];
            }

            buffer.ResetWrittenCount();
            FrameCodec.Write(buffer, FrameType.Events, new EventBatch(sequence, n == batch.Length ? batch : batch[..n]));
            var span = buffer.WrittenSpan;
            while (!span.IsEmpty)
            {
                span = span[socket.Send(span, SocketFlags.None)..];
            }

            sequence += (ulong)n;
            sent += n;
        }
    }

    public long Receive(Stream stream)
    {
        var reader = new FrameStreamReader(stream);
        long count = 0;
        while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
        {
            if (FrameCodec.ReadType(frame, out var body) != FrameType.Events)
            {
                throw new IOException("unexpected frame");
            }

            count += FrameCodec.ReadBody<EventBatch>(body).Events.Count;
        }

        return count;
    }
}

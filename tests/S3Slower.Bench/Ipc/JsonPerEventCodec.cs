using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ipc;

/// <summary>
/// The naive IPC: every event is its own message, a 4-byte length and a System.Text.Json object, serialized per event,
/// written with one send() per event, read and deserialized per event on the other side.
/// </summary>
internal sealed class JsonPerEventCodec : IIpcCodec
{
    private static readonly JsonSerializerOptions s_options = new();

    public string Description => "JSON, one length-prefixed object per event, one send() per event";

    public void Send(Socket socket, IReadOnlyList<RequestEvent> pool, long count)
    {
        byte[] message = new byte[4096];
        for (long i = 0; i < count; i++)
        {
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(pool[(int)(i % pool.Count)], s_options);
            if (message.Length < json.Length + 4)
            {
                message = new byte[json.Length + 4];
            }

            BinaryPrimitives.WriteInt32LittleEndian(message, json.Length);
            json.CopyTo(message, 4);
            var span = message.AsSpan(0, json.Length + 4);
            while (!span.IsEmpty)
            {
                span = span[socket.Send(span, SocketFlags.None)..];
            }
        }
    }

    public long Receive(Stream stream)
    {
        using var buffered = new BufferedStream(stream, 64 * 1024);
        Span<byte> prefix = stackalloc byte[4];
        byte[] body = new byte[4096];
        long count = 0;
        while (ReadFully(buffered, prefix))
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            if (body.Length < length)
            {
                body = new byte[length];
            }

            if (!ReadFully(buffered, body.AsSpan(0, length)))
            {
                throw new IOException("stream ended inside a JSON message");
            }

            _ = JsonSerializer.Deserialize<RequestEvent>(body.AsSpan(0, length), s_options) ?? throw new IOException("null event");
            count++;
        }

        return count;
    }

    private static bool ReadFully(Stream stream, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = stream.Read(destination[total..]);
            if (n == 0)
            {
                return total == 0 ? false : throw new IOException("stream ended inside a message");
            }

            total += n;
        }

        return true;
    }
}

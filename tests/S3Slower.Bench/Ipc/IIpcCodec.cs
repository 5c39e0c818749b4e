using System.Net.Sockets;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ipc;

/// <summary>One way of moving request events over a stream socket: what the sender does per event and the receiver undoes.</summary>
internal interface IIpcCodec
{
    string Description { get; }

    /// <summary>Serializes and sends <paramref name="count"/> events taken round-robin from <paramref name="pool"/>.</summary>
    void Send(Socket socket, IReadOnlyList<RequestEvent> pool, long count);

    /// <summary>Reads and deserializes until the peer closes; returns how many events it decoded.</summary>
    long Receive(Stream stream);
}

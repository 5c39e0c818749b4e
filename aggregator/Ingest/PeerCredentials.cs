using System.Buffers.Binary;
using System.Net.Sockets;

namespace S3Slower.Aggregator.Ingest;

/// <summary>The kernel-verified identity of the process at the other end of a Unix socket.</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int UcredSize = 12;

    public static PeerCredentials Read(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[UcredSize];
        int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length < UcredSize)
        {
            throw new SocketException((int)SocketError.ProtocolNotSupported);
        }

        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    public override string ToString() => $"pid={Pid} uid={Uid} gid={Gid}";
}

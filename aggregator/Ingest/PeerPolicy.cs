namespace S3Slower.Aggregator.Ingest;

/// <summary>
/// Who may feed the aggregator: root (the collector), the aggregator's own user (tests, `run`), and members of the
/// configured group. Filesystem permissions on the socket are the first gate; this is the second, for sockets
/// handed over by systemd or created in a directory others can reach.
/// </summary>
public sealed class PeerPolicy
{
    private readonly uint _ownUid;
    private readonly uint? _allowedGroupId;

    public PeerPolicy(uint ownUid, uint? allowedGroupId)
    {
        _ownUid = ownUid;
        _allowedGroupId = allowedGroupId;
    }

    public bool Admits(PeerCredentials peer) =>
        peer.Uid == 0 || peer.Uid == _ownUid || (_allowedGroupId is uint gid && peer.Gid == gid);
}

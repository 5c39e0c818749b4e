namespace S3Slower.Aggregator.Ingest;

/// <summary>Where collectors connect and who may.</summary>
/// <param name="SocketPath">Unix socket path; ignored when systemd passes a listening socket (LISTEN_FDS).</param>
/// <param name="AllowedGroupId">Besides root, peers whose uid or gid is this group may connect; null allows only root and our own uid.</param>
public sealed record IngestOptions(string SocketPath, uint? AllowedGroupId);

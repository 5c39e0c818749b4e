using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>Who a collector is. The id is new for every collector process; sequence numbers count from 0 per id.</summary>
[MessagePackObject]
public sealed record Hello(
    [property: Key(0)] int ProtocolVersion,
    [property: Key(1)] string CollectorId,
    [property: Key(2)] string Hostname,
    [property: Key(3)] string BootId,
    [property: Key(4)] int Pid,
    [property: Key(5)] long StartTimeUnixNs);

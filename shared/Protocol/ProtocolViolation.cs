namespace S3Slower.Shared.Protocol;

/// <summary>Why a frame was refused; the aggregator counts refusals by this reason.</summary>
public enum ProtocolViolation
{
    Malformed,
    Length,
    Truncated,
    Type,
    Version,
    Hello,
    Limit,
}

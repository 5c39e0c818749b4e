namespace S3Slower.Shared.Configuration;

/// <summary>Where results go; several at once, as the legacy <c>-d/--driver</c> flag allowed.</summary>
[Flags]
public enum OutputDrivers
{
    None = 0,
    Screen = 1 << 0,
    Prometheus = 1 << 1,
    Jsonl = 1 << 2,
    Json = 1 << 3,
    Csv = 1 << 4,
}

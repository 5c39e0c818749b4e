namespace S3Slower.Shared.Configuration;

/// <summary>A configuration file or flag value that cannot be used; the message names the key and, for files, the line.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConfigException()
    {
    }

    public ConfigException(string key, int? line, string problem)
        : base(line is { } l ? $"{key} (line {l}): {problem}" : $"{key}: {problem}")
    {
        Key = key;
        Line = line;
    }

    /// <summary>The dotted key (e.g. <c>prometheus.prom_exporter_port</c>) or flag the problem is about.</summary>
    public string? Key { get; }

    public int? Line { get; }
}

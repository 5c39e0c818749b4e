namespace S3Slower.Collector.Tls;

/// <summary>A file that is not an ELF image this tracer can read (wrong class, truncated, offsets out of range).</summary>
public sealed class ElfFormatException : Exception
{
    public ElfFormatException()
    {
    }

    public ElfFormatException(string message)
        : base(message)
    {
    }

    public ElfFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace S3Slower.Collector.Transport;

/// <summary>The aggregator speaks another protocol version; retrying cannot help.</summary>
public sealed class IncompatibleAggregatorException : Exception
{
    public IncompatibleAggregatorException(string message)
        : base(message)
    {
    }

    public IncompatibleAggregatorException()
    {
    }

    public IncompatibleAggregatorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

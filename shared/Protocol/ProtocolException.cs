namespace S3Slower.Shared.Protocol;

/// <summary>The peer sent bytes that are not a valid frame; the connection must be closed.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message)
        : base(message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ProtocolException()
    {
    }
}

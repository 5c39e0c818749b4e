namespace S3Slower.Collector.Tls;

/// <summary>TLS tracing cannot start as asked (a <c>--tls-lib</c> that is missing or holds no TLS function, a program missing from the BPF object).</summary>
public sealed class TlsSetupException : Exception
{
    public TlsSetupException()
    {
    }

    public TlsSetupException(string message)
        : base(message)
    {
    }

    public TlsSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

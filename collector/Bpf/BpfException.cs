namespace S3Slower.Collector.Bpf;

/// <summary>Loading or attaching the BPF programs failed; the message says why and what to do.</summary>
public sealed class BpfException : Exception
{
    public BpfException()
    {
    }

    public BpfException(string message)
        : base(message)
    {
    }

    public BpfException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

namespace S3Slower.Shared.Protocol;

/// <summary>The peer sent bytes that are not a valid frame; the connection must be closed.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ProtocolViolation violation, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Violation = violation;
    }

    public ProtocolException(string message)
        : this(ProtocolViolation.Malformed, message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : this(ProtocolViolation.Malformed, message, innerException)
    {
    }

    public ProtocolException()
        : this(ProtocolViolation.Malformed, "malformed frame")
    {
    }

    public ProtocolViolation Violation { get; }

    /// <summary>The label value used in <c>s3slower_ipc_frames_rejected_total{reason}</c>.</summary>
    public string Reason => Violation.ToString().ToLowerInvariant();
}

using System.Diagnostics;

namespace S3Slower.DotnetClient;

/// <summary>
/// Wraps the connection's plaintext stream and stamps the first write of each request and the last read of its
/// response, which are the edges the tracer measures (connect and TLS handshake happen before this stream exists).
/// </summary>
internal sealed class TimingStream(Stream inner, ExchangeRecorder recorder) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        MarkRead(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        MarkRead(n);
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        MarkWrite();
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        MarkWrite();
        return inner.WriteAsync(buffer, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private void MarkWrite()
    {
        if (recorder.Current is { StartTicks: 0 } exchange)
        {
            exchange.StartTicks = Stopwatch.GetTimestamp();
            exchange.StartUnixNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        }
    }

    private void MarkRead(int n)
    {
        if (n > 0 && recorder.Current is { } exchange && exchange.StartTicks != 0)
        {
            exchange.EndTicks = Stopwatch.GetTimestamp();
        }
    }
}

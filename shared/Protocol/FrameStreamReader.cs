namespace S3Slower.Shared.Protocol;

/// <summary>Reads whole frames from a stream, one buffer reused per connection.</summary>
public sealed class FrameStreamReader
{
    private readonly Stream _stream;
    private readonly byte[] _prefix = new byte[ProtocolConstants.LengthPrefixSize];
    private byte[] _buffer = new byte[64 * 1024];

    public FrameStreamReader(Stream stream) => _stream = stream;

    /// <summary>
    /// The next frame's payload, valid until the next call; null at a clean end of stream.
    /// A stream that ends inside a frame, or a bad length, is a <see cref="ProtocolException"/>.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
    {
        int got = await ReadFullyAsync(_prefix, cancellationToken);
        if (got == 0)
        {
            return null;
        }

        if (got < _prefix.Length)
        {
            throw new ProtocolException(ProtocolViolation.Truncated, "stream ended inside a frame length");
        }

        int length = FrameCodec.ReadLength(_prefix);
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }

        var payload = _buffer.AsMemory(0, length);
        if (await ReadFullyAsync(payload, cancellationToken) < length)
        {
            throw new ProtocolException(ProtocolViolation.Truncated, "stream ended inside a frame");
        }

        return payload;
    }

    private async ValueTask<int> ReadFullyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = await _stream.ReadAsync(destination[total..], cancellationToken);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}

using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace S3Slower.Shared.Protocol;

/// <summary>
/// Encodes and decodes frames: a 4-byte little-endian payload length, then a MessagePack array
/// <c>[type, body]</c>. Decoding treats the payload as hostile: size is checked before allocation,
/// MessagePack runs with <see cref="MessagePackSecurity.UntrustedData"/>, and any failure is a <see cref="ProtocolException"/>.
/// </summary>
public static class FrameCodec
{
    public static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Appends one frame to <paramref name="output"/>.</summary>
    public static void Write<T>(ArrayBufferWriter<byte> output, FrameType type, T body)
    {
        int start = BeginFrame(output, type, out var writer);
        MessagePackSerializer.Serialize(ref writer, body, Options);
        writer.Flush();
        EndFrame(output, start);
    }

    /// <summary>
    /// Starts a frame: reserves its length prefix and writes <c>[type, </c>; the caller writes the body with
    /// <paramref name="writer"/>, flushes it and calls <see cref="EndFrame"/> with the returned start.
    /// </summary>
    internal static int BeginFrame(ArrayBufferWriter<byte> output, FrameType type, out MessagePackWriter writer)
    {
        int start = output.WrittenCount;
        output.GetSpan(ProtocolConstants.LengthPrefixSize);
        output.Advance(ProtocolConstants.LengthPrefixSize);
        writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(2);
        writer.Write((int)type);
        return start;
    }

    /// <summary>Checks the frame begun at <paramref name="start"/> against the size limit and fills in its length prefix.</summary>
    internal static void EndFrame(ArrayBufferWriter<byte> output, int start)
    {
        int payload = output.WrittenCount - start - ProtocolConstants.LengthPrefixSize;
        if (payload > ProtocolConstants.MaxFrameBytes)
        {
            throw new InvalidOperationException($"frame of {payload} bytes exceeds the {ProtocolConstants.MaxFrameBytes}-byte limit");
        }

        // ArrayBufferWriter exposes what it wrote as read-only; the prefix slot is ours, so patch it in place.
        var written = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory);
        BinaryPrimitives.WriteInt32LittleEndian(written.Span.Slice(start, ProtocolConstants.LengthPrefixSize), payload);
    }

    /// <summary>Encodes one frame into a new array.</summary>
    public static byte[] Encode<T>(FrameType type, T body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, type, body);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the frame type of a payload (without its length prefix) and returns where the body starts.</summary>
    public static FrameType ReadType(ReadOnlyMemory<byte> payload, out ReadOnlyMemory<byte> body)
    {
        try
        {
            var reader = new MessagePackReader(payload);
            if (reader.ReadArrayHeader() != 2)
            {
                throw new ProtocolException(ProtocolViolation.Type, "frame is not a [type, body] pair");
            }

            int type = reader.ReadInt32();
            if (!Enum.IsDefined((FrameType)type))
            {
                throw new ProtocolException(ProtocolViolation.Type, $"unknown frame type {type}");
            }

            body = payload[(int)reader.Consumed..];
            return (FrameType)type;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new ProtocolException("frame header is not valid MessagePack", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new ProtocolException(ProtocolViolation.Truncated, "frame header is truncated", ex);
        }
    }

    /// <summary>Decodes a frame body; everything that is not a well-formed <typeparamref name="T"/> is a <see cref="ProtocolException"/>.</summary>
    public static T ReadBody<T>(ReadOnlyMemory<byte> body)
    {
        try
        {
            var reader = new MessagePackReader(body);
            T value = MessagePackSerializer.Deserialize<T>(ref reader, Options)
                ?? throw new ProtocolException($"{typeof(T).Name} body is nil");
            if (reader.Consumed != body.Length)
            {
                throw new ProtocolException($"{body.Length - reader.Consumed} trailing bytes after {typeof(T).Name}");
            }

            return value;
        }
        catch (ProtocolException)
        {
            throw;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            throw new ProtocolException($"{typeof(T).Name} body is malformed: {ex.Message}", ex);
        }
    }

    /// <summary>Reads the length prefix and validates it against the limit.</summary>
    public static int ReadLength(ReadOnlySpan<byte> prefix)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > ProtocolConstants.MaxFrameBytes)
        {
            throw new ProtocolException(ProtocolViolation.Length, $"frame length {length} is outside 1..{ProtocolConstants.MaxFrameBytes}");
        }

        return length;
    }
}

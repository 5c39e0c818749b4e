using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace S3Slower.Shared.Protocol;

/// <summary>
/// A forward-only MessagePack reader over one span for the hot ingest path. Every read is bounds-checked, counts are
/// checked against the bytes left before anything is allocated, and skipping is iterative, so hostile input can only
/// end in a <see cref="ProtocolException"/>.
/// </summary>
internal ref struct MessagePackSpanReader
{
    private const byte Nil = 0xc0;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MessagePackSpanReader(ReadOnlySpan<byte> buffer, int position = 0)
    {
        _buffer = buffer;
        _position = position;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public readonly ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>Bytes read so far: where a reader created later over the same buffer resumes.</summary>
    public readonly int Position => _position;

    public readonly bool NextIsNil => _position < _buffer.Length && _buffer[_position] == Nil;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadNil()
    {
        if (NextIsNil)
        {
            _position++;
            return true;
        }

        return false;
    }

    /// <summary>An array header whose count is plausible for the bytes left (every element takes at least one byte).</summary>
    public int ReadArrayHeader()
    {
        byte code = ReadByte();
        long count = code switch
        {
            >= 0x90 and <= 0x9f => code & 0x0f,
            0xdc => ReadSize(2),
            0xdd => ReadSize(4),
            _ => throw Unexpected(code, "array"),
        };
        return CheckCount(count, 1);
    }

    /// <summary>A map header whose count is plausible for the bytes left (every entry takes at least two bytes).</summary>
    public int ReadMapHeader()
    {
        byte code = ReadByte();
        long count = code switch
        {
            >= 0x80 and <= 0x8f => code & 0x0f,
            0xde => ReadSize(2),
            0xdf => ReadSize(4),
            _ => throw Unexpected(code, "map"),
        };
        return CheckCount(count, 2);
    }

    public bool ReadBoolean()
    {
        byte code = ReadByte();
        return code switch
        {
            0xc2 => false,
            0xc3 => true,
            _ => throw Unexpected(code, "boolean"),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadInt64()
    {
        byte code = ReadByte();
        if (code <= 0x7f)
        {
            return code;
        }

        if (code >= 0xe0)
        {
            return (sbyte)code;
        }

        switch (code)
        {
            case 0xcc: return (long)ReadBigEndian(1);
            case 0xcd: return (long)ReadBigEndian(2);
            case 0xce: return (long)ReadBigEndian(4);
            case 0xcf:
                ulong u = ReadUInt64BigEndian();
                return u <= long.MaxValue ? (long)u : throw new ProtocolException($"integer {u} does not fit a 64-bit signed field");
            case 0xd0: return (sbyte)ReadBigEndian(1);
            case 0xd1: return (short)ReadBigEndian(2);
            case 0xd2: return (int)ReadBigEndian(4);
            case 0xd3: return (long)ReadUInt64BigEndian();
            default: throw Unexpected(code, "integer");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt32()
    {
        long value = ReadInt64();
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new ProtocolException($"integer {value} does not fit a 32-bit field");
    }

    public ulong ReadUInt64()
    {
        byte code = _position < _buffer.Length ? _buffer[_position] : (byte)0;
        if (code == 0xcf)
        {
            _position++;
            return ReadUInt64BigEndian();
        }

        long value = ReadInt64();
        return value >= 0 ? (ulong)value : throw new ProtocolException($"integer {value} is negative in an unsigned field");
    }

    /// <summary>The UTF-8 bytes of a string (not nil).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        byte code = ReadByte();
        long length = code switch
        {
            >= 0xa0 and <= 0xbf => code & 0x1f,
            0xd9 => ReadSize(1),
            0xda => ReadSize(2),
            0xdb => ReadSize(4),
            _ => throw Unexpected(code, "string"),
        };
        return Take(length);
    }

    /// <summary>A string, decoded like MessagePack-CSharp does (invalid UTF-8 becomes U+FFFD); nil is null.</summary>
    public string? ReadNullableString() => TryReadNil() ? null : Encoding.UTF8.GetString(ReadStringBytes());

    /// <summary>Skips one value of any type, nested ones included, without recursion.</summary>
    public void Skip()
    {
        long pending = 1;
        while (pending > 0)
        {
            pending--;
            byte code = ReadByte();
            switch (code)
            {
                case <= 0x7f or >= 0xe0 or Nil or 0xc2 or 0xc3:
                    break;
                case >= 0x80 and <= 0x8f:
                    pending += 2L * CheckCount(code & 0x0f, 2);
                    break;
                case >= 0x90 and <= 0x9f:
                    pending += CheckCount(code & 0x0f, 1);
                    break;
                case >= 0xa0 and <= 0xbf:
                    Take(code & 0x1f);
                    break;
                case 0xc4 or 0xd9: Take(ReadBigEndian(1)); break;
                case 0xc5 or 0xda: Take(ReadBigEndian(2)); break;
                case 0xc6 or 0xdb: Take(ReadBigEndian(4)); break;
                case 0xc7: Take(ReadBigEndian(1) + 1); break;
                case 0xc8: Take(ReadBigEndian(2) + 1); break;
                case 0xc9: Take(ReadBigEndian(4) + 1); break;
                case 0xca: Take(4); break;
                case 0xcb: Take(8); break;
                case 0xcc or 0xd0: Take(1); break;
                case 0xcd or 0xd1: Take(2); break;
                case 0xce or 0xd2: Take(4); break;
                case 0xcf or 0xd3: Take(8); break;
                case 0xd4: Take(2); break;
                case 0xd5: Take(3); break;
                case 0xd6: Take(5); break;
                case 0xd7: Take(9); break;
                case 0xd8: Take(17); break;
                case 0xdc: pending += CheckCount(ReadBigEndian(2), 1); break;
                case 0xdd: pending += CheckCount(ReadBigEndian(4), 1); break;
                case 0xde: pending += 2L * CheckCount(ReadBigEndian(2), 2); break;
                case 0xdf: pending += 2L * CheckCount(ReadBigEndian(4), 2); break;
                default: throw Unexpected(code, "value");
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte ReadByte()
    {
        if (_position >= _buffer.Length)
        {
            throw Truncated();
        }

        return _buffer[_position++];
    }

    // Timestamps and ids are 8-byte integers: one bounds check and one load, not the size switch.
    private ulong ReadUInt64BigEndian()
    {
        if (Remaining < sizeof(ulong))
        {
            throw Truncated();
        }

        ulong value = BinaryPrimitives.ReadUInt64BigEndian(_buffer.Slice(_position, sizeof(ulong)));
        _position += sizeof(ulong);
        return value;
    }

    private long ReadSize(int size) => (long)ReadBigEndian(size);

    private ulong ReadBigEndian(int size)
    {
        var bytes = Take(size);
        return size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
    }

    private ReadOnlySpan<byte> Take(ulong length) => Take((long)Math.Min(length, (ulong)int.MaxValue));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(long length)
    {
        if (length > Remaining)
        {
            throw Truncated();
        }

        var span = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return span;
    }

    private readonly int CheckCount(ulong count, int minBytesEach) => CheckCount((long)Math.Min(count, (ulong)int.MaxValue), minBytesEach);

    private readonly int CheckCount(long count, int minBytesEach)
    {
        if (count * minBytesEach > Remaining)
        {
            throw new ProtocolException($"{count} elements announced but only {Remaining} bytes left");
        }

        return (int)count;
    }

    // Malformed, not Truncated: the frame arrived whole, its content is what is short (as the MessagePack-CSharp path reported it).
    private static ProtocolException Truncated() => new("MessagePack value is truncated");

    private readonly ProtocolException Unexpected(byte code, string expected) =>
        new($"expected a MessagePack {expected} at offset {_position - 1}, found code 0x{code:x2}");
}

using System.Buffers;
using System.Text;

namespace S3Slower.Aggregator.Classification;

/// <summary>Turns the raw path of a request into the object key S3 stores.</summary>
internal static class KeyDecoder
{
    private const int StackLimit = 512;

    /// <summary>
    /// Percent-decodes a path segment as UTF-8. Amazon S3 reads '+' in the path as a space (clients must send %2B
    /// for a plus), so this does too. A '%' not followed by two hex digits is kept as is; invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public static string Decode(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOfAny('%', '+') < 0)
        {
            return new string(raw);
        }

        int maxBytes = Encoding.UTF8.GetMaxByteCount(raw.Length);
        byte[]? rented = null;
        Span<byte> buffer = maxBytes <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int written = 0;
            int i = 0;
            while (i < raw.Length)
            {
                int special = raw[i..].IndexOfAny('%', '+');
                ReadOnlySpan<char> plain = special < 0 ? raw[i..] : raw.Slice(i, special);
                written += Encoding.UTF8.GetBytes(plain, buffer[written..]);
                i += plain.Length;
                if (i >= raw.Length)
                {
                    break;
                }

                if (raw[i] == '+')
                {
                    buffer[written++] = (byte)' ';
                    i++;
                }
                else if (i + 2 < raw.Length && TryHex(raw[i + 1], raw[i + 2], out byte value))
                {
                    buffer[written++] = value;
                    i += 3;
                }
                else
                {
                    buffer[written++] = (byte)'%';
                    i++;
                }
            }

            return Encoding.UTF8.GetString(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool TryHex(char high, char low, out byte value)
    {
        int h = HexValue(high);
        int l = HexValue(low);
        value = (byte)((h << 4) | l);
        return (h | l) >= 0;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}

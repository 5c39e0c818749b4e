using System.Buffers.Binary;
using System.Text;

namespace S3Slower.Collector.Tls;

/// <summary>
/// Reads the library paths listed in glibc's <c>/etc/ld.so.cache</c> (the "glibc-ld.so.cache1.1" format that
/// glibc has written since 2.32, possibly after a legacy "ld.so-1.7.0" block), so discovery needs no <c>ldconfig</c>.
/// </summary>
public static class LdSoCache
{
    public const string DefaultPath = "/etc/ld.so.cache";

    private const int HeaderSize = 48;
    private const int EntrySize = 24;
    private static ReadOnlySpan<byte> Magic => "glibc-ld.so.cache1.1"u8;

    /// <summary>Returns (soname, path) of every entry; an unreadable or foreign-format file yields an error.</summary>
    public static IReadOnlyList<(string Name, string Path)> Parse(ReadOnlySpan<byte> data)
    {
        var start = data.IndexOf(Magic);
        if (start < 0)
        {
            throw new FormatException("ld.so.cache: no \"glibc-ld.so.cache1.1\" header");
        }

        var cache = data.Slice(start);
        if (cache.Length < HeaderSize)
        {
            throw new FormatException("ld.so.cache: truncated header");
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(cache.Slice(20));
        if (count > (uint)((cache.Length - HeaderSize) / EntrySize))
        {
            throw new FormatException($"ld.so.cache: {count} entries do not fit in {cache.Length} bytes");
        }

        var result = new List<(string, string)>((int)count);
        for (var i = 0; i < (int)count; i++)
        {
            var entry = cache.Slice(HeaderSize + (i * EntrySize), EntrySize);
            var name = CString(cache, BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(4)));
            var path = CString(cache, BinaryPrimitives.ReadUInt32LittleEndian(entry.Slice(8)));
            if (name is not null && path is not null)
            {
                result.Add((name, path));
            }
        }

        return result;
    }

    public static IReadOnlyList<(string Name, string Path)> Read(string path = DefaultPath) => Parse(File.ReadAllBytes(path));

    private static string? CString(ReadOnlySpan<byte> cache, uint offset)
    {
        // String offsets are relative to the start of the new-format header.
        if (offset >= (uint)cache.Length)
        {
            return null;
        }

        var text = cache.Slice((int)offset);
        var end = text.IndexOf((byte)0);
        return end <= 0 ? null : Encoding.UTF8.GetString(text.Slice(0, end));
    }
}

using System.Text;
using S3Slower.Collector.Tls;

namespace S3Slower.Tests.Tls;

public sealed class LdSoCacheTests
{
    [Fact]
    public void HostCacheListsLibssl()
    {
        var entries = LdSoCache.Read();

        Assert.Contains(entries, e => e.Name == "libssl.so.3" && e.Path.EndsWith("/libssl.so.3", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Name == "libc.so.6");
    }

    [Fact]
    public void SyntheticCacheParsesAndBadOffsetsAreSkipped()
    {
        var strings = "libssl.so.3\0/opt/lib/libssl.so.3\0"u8.ToArray();
        const int header = 48, entry = 24;
        var data = new byte[header + (2 * entry) + strings.Length];
        Encoding.ASCII.GetBytes("glibc-ld.so.cache1.1").CopyTo(data, 0);
        BitConverter.TryWriteBytes(data.AsSpan(20), 2u);
        var stringsAt = header + (2 * entry);
        strings.CopyTo(data, stringsAt);
        BitConverter.TryWriteBytes(data.AsSpan(header + 4), (uint)stringsAt);
        BitConverter.TryWriteBytes(data.AsSpan(header + 8), (uint)(stringsAt + 12));
        BitConverter.TryWriteBytes(data.AsSpan(header + entry + 4), 0xffffffu);
        BitConverter.TryWriteBytes(data.AsSpan(header + entry + 8), (uint)stringsAt);

        var entries = LdSoCache.Parse(data);

        var only = Assert.Single(entries);
        Assert.Equal(("libssl.so.3", "/opt/lib/libssl.so.3"), only);
    }

    [Fact]
    public void ForeignOrTruncatedCacheIsAClearError()
    {
        Assert.Throws<FormatException>(() => LdSoCache.Parse("ld.so-1.7.0 and nothing else"u8));
        var truncated = new byte[30];
        Encoding.ASCII.GetBytes("glibc-ld.so.cache1.1").CopyTo(truncated, 0);
        Assert.Throws<FormatException>(() => LdSoCache.Parse(truncated));
        var lying = new byte[60];
        Encoding.ASCII.GetBytes("glibc-ld.so.cache1.1").CopyTo(lying, 0);
        BitConverter.TryWriteBytes(lying.AsSpan(20), 1000u);
        Assert.Throws<FormatException>(() => LdSoCache.Parse(lying));
    }
}

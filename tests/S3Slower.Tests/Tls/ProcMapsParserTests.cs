using S3Slower.Collector.Tls;

namespace S3Slower.Tests.Tls;

public sealed class ProcMapsParserTests
{
    [Fact]
    public void KeepsFileMappingsWithPermissionsOffsetsAndOddPaths()
    {
        var mappings = ProcMapsParser.Parse(File.ReadAllText(TlsFixtures.MapsAwscliNode));

        // 4 node + 3 libssl + 1 spaced + 1 deleted + 2 libc; [heap], [vdso], [stack], [vsyscall] and garbage dropped.
        Assert.Equal(11, mappings.Count);
        var text = mappings.Single(m => m.Path == "/usr/bin/node" && m.Offset == 0x772000);
        Assert.True(text.Executable);
        Assert.Equal(0xb72000UL, text.Start);
        Assert.Equal(0x25fe000UL, text.End);
        Assert.Equal(1835123UL, text.Inode);
        Assert.Contains(mappings, m => m.Path == "/home/u/venv/lib/my lib (copy).so" && m.Executable);
        var deleted = mappings.Single(m => m.IsDeleted);
        Assert.Equal("/tmp/.libssl-replaced.so (deleted)", deleted.Path);
        Assert.DoesNotContain(mappings, m => m.Path.StartsWith('['));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7f00-7f01 r-xp 00000000 fd:01")]
    [InlineData("zz-7f01 r-xp 00000000 fd:01 12 /lib/x.so")]
    [InlineData("7f00-7f01 r-xp 0000000g fd:01 12 /lib/x.so")]
    [InlineData("7f00-7f01 r-xp 00000000 fd:01 0 /lib/x.so")]
    [InlineData("7f00-7f01 r-xp 00000000 fd:01 12 [anon:x]")]
    public void MalformedOrAnonymousLinesAreSkipped(string line)
    {
        Assert.False(ProcMapsParser.TryParseLine(line, out _));
    }

    [Fact]
    public void OwnMapsParseAndShowTheRuntime()
    {
        var mappings = ProcMapsParser.Parse(File.ReadAllText("/proc/self/maps"));

        Assert.Contains(mappings, m => m.Executable && m.Path.Contains("libcoreclr.so", StringComparison.Ordinal));
    }
}

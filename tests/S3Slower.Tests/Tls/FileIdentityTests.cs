using S3Slower.Collector.Tls;

namespace S3Slower.Tests.Tls;

public sealed class FileIdentityTests
{
    [Theory]
    [InlineData(0xfd01UL, 0xfdu, 1u)] // 253:1, a device-mapper disk
    [InlineData(0x0803UL, 8u, 3u)]
    [InlineData(0xf10305UL, 0x103u, 0xf05u)] // glibc makedev: minor bits above 8 move to bit 20
    public void StatDeviceDecodesLikeGlibcAndRoundTripsThroughTheKernelEncoding(ulong statDevice, uint major, uint minor)
    {
        var identity = FileIdentity.FromStatDevice(statDevice, 42);

        Assert.Equal((major, minor, 42UL), (identity.Major, identity.Minor, identity.Inode));
        Assert.Equal(identity, FileIdentity.FromKernelDevice(identity.KernelDevice, 42));
    }

    [Fact]
    public void MapsDeviceOfOwnLibcoreclrMatchesItsStat()
    {
        // /proc/self/maps prints the kernel's major:minor and inode: the same identity stat() gives.
        var line = File.ReadLines("/proc/self/maps").First(l => l.Contains("libcoreclr.so", StringComparison.Ordinal));
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var device = fields[3].Split(':');

        Assert.True(FileIdentity.TryOf(fields[^1], out var identity));
        Assert.Equal(Convert.ToUInt32(device[0], 16), identity.Major);
        Assert.Equal(Convert.ToUInt32(device[1], 16), identity.Minor);
        Assert.Equal(ulong.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture), identity.Inode);
    }

    [Fact]
    public void ChangeTimeIsStatsAndSplitsIntoTheKernelsSecondsAndNanoseconds()
    {
        string path = Path.GetTempFileName();
        try
        {
            Assert.True(FileIdentity.TryOf(path, out var identity));
            var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%Z", path]) { RedirectStandardOutput = true })!;
            long statSeconds = long.Parse(stat.StandardOutput.ReadToEnd().Trim(), System.Globalization.CultureInfo.InvariantCulture);
            stat.WaitForExit();

            var (seconds, nanoseconds) = identity.ChangeTime;
            Assert.Equal(statSeconds, seconds);
            Assert.InRange(nanoseconds, 0u, 999_999_999u);
            Assert.Equal(identity.ChangeTimeNs, FileIdentity.ChangeTimeOf(seconds, nanoseconds));
            Assert.Equal((-2L, 999_999_999u), new FileIdentity(1, 2, 3, -1_000_000_001).ChangeTime);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MissingPathIsFalseNotAnException()
    {
        Assert.False(FileIdentity.TryOf("/nonexistent/libssl.so.3", out _));
    }
}

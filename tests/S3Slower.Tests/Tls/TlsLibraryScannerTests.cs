using System.Diagnostics;
using S3Slower.Collector.Tls;

namespace S3Slower.Tests.Tls;

public sealed class TlsLibraryScannerTests : IDisposable
{
    private const string SystemLibssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    private const string SystemGnutls = "/usr/lib/x86_64-linux-gnu/libgnutls.so.30";
    private readonly string _root = Directory.CreateTempSubdirectory("s3slower-tls-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void FixtureMapsFindStaticNodeBundledLibsslAndGnutlsButNotLibc()
    {
        // The awscli v2 bundled libssl lives "in another mount namespace": here a copy of the fixture under a temp root.
        var bundled = Path.Combine(_root, "opt/aws-cli/v2/2.15.0/dist/libssl.so.3");
        Directory.CreateDirectory(Path.GetDirectoryName(bundled)!);
        File.Copy(TlsFixtures.StaticTlsElf, bundled);
        var scanner = new TlsLibraryScanner();
        var skipped = new List<string>();
        scanner.FileSkipped += (path, _) => skipped.Add(path);

        var targets = scanner.ScanMappings(
            ProcMapsParser.Parse(File.ReadAllText(TlsFixtures.MapsAwscliNode)),
            m => m.Path switch
            {
                "/home/u/venv/lib/my lib (copy).so" => SystemGnutls,
                _ when m.Path.StartsWith("/opt/", StringComparison.Ordinal) => Path.Combine(_root, m.Path.TrimStart('/')),
                _ when m.IsDeleted => Path.Combine(_root, "gone"),
                _ => m.Path,
            },
            "fixture").ToDictionary(t => t.Path);

        Assert.Equal(3, targets.Count);
        Assert.Equal(
            [TlsFunction.SslWrite, TlsFunction.SslWriteEx, TlsFunction.SslRead, TlsFunction.SslReadEx, TlsFunction.SslFree],
            targets["/usr/bin/node"].Functions.Select(f => f.Function));
        var aws = targets["/opt/aws-cli/v2/2.15.0/dist/libssl.so.3"];
        Assert.Equal(bundled, aws.OpenPath);
        Assert.Equal([(TlsFunction.SslWrite, 0x1000UL), (TlsFunction.SslWriteEx, 0x1020UL), (TlsFunction.SslRead, 0x1010UL)],
            aws.Functions.Select(f => (f.Function, f.FileOffset)));
        Assert.Equal(
            [TlsFunction.GnutlsRecordSend, TlsFunction.GnutlsRecordRecv, TlsFunction.GnutlsDeinit],
            targets["/home/u/venv/lib/my lib (copy).so"].Functions.Select(f => f.Function));
        Assert.Equal(["/tmp/.libssl-replaced.so"], skipped);
    }

    [Fact]
    public void SameFileThroughTwoPathsIsOneIdentity()
    {
        var link = Path.Combine(_root, "libssl-link.so.3");
        File.CreateSymbolicLink(link, SystemLibssl);
        var scanner = new TlsLibraryScanner();

        var first = scanner.Examine(SystemLibssl, SystemLibssl, "a");
        var second = scanner.Examine(link, link, "b");

        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.True(scanner.IsKnown(first.Identity));
    }

    [Fact]
    public void NonTlsElfIsRememberedAsNothing()
    {
        var scanner = new TlsLibraryScanner();

        Assert.Null(scanner.Examine("/usr/bin/true", "/usr/bin/true", "test"));
        Assert.True(FileIdentity.TryOf("/usr/bin/true", out var identity));
        Assert.True(scanner.IsKnown(identity));
    }

    [Fact]
    public void SystemScanFindsLibsslGnutlsAndTheDynamicLoaderOnly()
    {
        var targets = new TlsLibraryScanner().ScanSystem(LdSoCache.Read(), TlsLibraryScanner.DefaultLibraryDirectories);

        Assert.Equal(3, targets.Count);
        var loader = Assert.Single(targets, t => t.Path.Contains("/ld-linux", StringComparison.Ordinal));
        Assert.Equal(TlsFunction.LoaderState, Assert.Single(loader.Functions).Function);
        Assert.Contains(targets, t => t.Path.EndsWith("libssl.so.3", StringComparison.Ordinal) && t.Functions.Count == 5);
        Assert.Contains(targets, t => t.Path.EndsWith("libgnutls.so.30", StringComparison.Ordinal) && t.Functions.Count == 3);
    }

    [Theory]
    [InlineData("ld-linux-x86-64.so.2", true)]
    [InlineData("ld-linux-aarch64.so.1", true)]
    [InlineData("ld-musl-x86_64.so.1", true)]
    [InlineData("libssl.so.3", false)]
    [InlineData("ld.so.cache", false)]
    public void DynamicLoadersAreKnownByName(string fileName, bool loader) =>
        Assert.Equal(loader, TlsLibraryScanner.IsLoaderName(fileName));

    [Fact]
    public void RunningPythonProcessShowsItsLibssl()
    {
        using var python = Process.Start(new ProcessStartInfo("python3", ["-c", "import ssl, sys; print('ready', flush=True); sys.stdin.read()"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("ready", python.StandardOutput.ReadLine());

            var targets = new TlsLibraryScanner().ScanProcess(python.Id);

            Assert.Equal(2, targets.Count);
            Assert.Contains(targets, t => t.Path.Contains("/ld-linux", StringComparison.Ordinal));
            var libssl = Assert.Single(targets, t => t.Path.EndsWith("libssl.so.3", StringComparison.Ordinal));
            Assert.Contains(libssl.Functions, f => f.Function == TlsFunction.SslReadEx);
        }
        finally
        {
            python.StandardInput.Close();
            python.WaitForExit();
        }
    }

    [Fact]
    public void GoneProcessYieldsNothing()
    {
        Assert.Empty(new TlsLibraryScanner().ScanProcess(int.MaxValue));
    }
}

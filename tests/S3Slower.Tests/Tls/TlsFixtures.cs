using System.Reflection;

namespace S3Slower.Tests.Tls;

internal static class TlsFixtures
{
    public static readonly string Directory = Path.Combine(
        typeof(TlsFixtures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!,
        "tests", "S3Slower.Tests", "Tls", "Fixtures");

    public static string StaticTlsElf => Path.Combine(Directory, "static-tls.elf");

    public static string MapsAwscliNode => Path.Combine(Directory, "maps-awscli-node.txt");
}

using System.Reflection;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>Where the repository, the test clients and the built binaries are.</summary>
internal static class RepoPaths
{
    public static string Root { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value
        ?? throw new InvalidOperationException("RepoRoot assembly metadata is missing");

    public static string Clients => Path.Combine(Root, "tests", "clients");

    /// <summary>
    /// The newest build of a project's executable under artifacts/bin (release or debug; S3SLOWER_E2E_CONFIG picks one),
    /// or a clear failure naming the paths looked at.
    /// </summary>
    public static string Binary(string project, string executable)
    {
        string[] configs = Environment.GetEnvironmentVariable("S3SLOWER_E2E_CONFIG") is { Length: > 0 } config
            ? [config]
            : ["release", "debug"];
        var candidates = configs.Select(c => Path.Combine(Root, "artifacts", "bin", project, c, executable)).ToList();
        var found = candidates.Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return found ?? throw new InvalidOperationException(
            $"{executable} is not built; looked at: {string.Join(", ", candidates)}. Build it: dotnet build S3Slower.sln -c Release");
    }
}

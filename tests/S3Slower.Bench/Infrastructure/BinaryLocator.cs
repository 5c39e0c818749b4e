namespace S3Slower.Bench.Infrastructure;

/// <summary>Finds the aggregator and collector binaries: the front door's environment first, then the repository layout.</summary>
internal static class BinaryLocator
{
    public static string Aggregator() => Find("S3SLOWER_AGGREGATOR", "S3Slower.Aggregator", "s3slower-aggregator");

    public static string Collector() => Find("S3SLOWER_COLLECTOR", "S3Slower.Collector", "s3slower-collector");

    private static string Find(string variable, string project, string exe)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new FileNotFoundException($"{variable} points at {fromEnvironment}, which does not exist; build with ./s3slower build");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string artifacts = Path.Combine(dir.FullName, "artifacts", "bin", project);
            foreach (string config in new[] { "release", "debug" })
            {
                string candidate = Path.Combine(artifacts, config, exe);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"{exe} not found: set {variable} or build with ./s3slower build");
    }
}

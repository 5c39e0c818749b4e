namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>A fresh directory under /tmp, removed on dispose unless S3SLOWER_E2E_KEEP is set (to inspect a failed run).</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = Directory.CreateTempSubdirectory($"s3slower-e2e-{prefix}-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("S3SLOWER_E2E_KEEP") is { Length: > 0 })
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

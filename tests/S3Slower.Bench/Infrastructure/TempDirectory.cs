namespace S3Slower.Bench.Infrastructure;

/// <summary>A private directory under /tmp for sockets and output, removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        // Short paths: a Unix socket path must fit in 108 bytes.
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child still holds a file; /tmp is cleaned eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Left by a root child (the collector); harmless.
        }
    }
}

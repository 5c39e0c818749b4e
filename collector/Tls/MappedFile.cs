namespace S3Slower.Collector.Tls;

/// <summary>One file-backed line of <c>/proc/&lt;pid&gt;/maps</c>.</summary>
public sealed record MappedFile(ulong Start, ulong End, bool Executable, ulong Offset, ulong Inode, string Path)
{
    /// <summary>The kernel appends this to the path of a file unlinked after it was mapped.</summary>
    public const string DeletedSuffix = " (deleted)";

    public bool IsDeleted => Path.EndsWith(DeletedSuffix, StringComparison.Ordinal);
}

namespace S3Slower.Collector.Bpf;

/// <summary>
/// Where <c>--pin</c> keeps maps and tracepoint links in bpffs, so tracing goes on while the collector is gone
/// (crash, kill -9, upgrade) and the next collector drains what accumulated. One directory per embedded object:
/// maps of another build may have another layout, so they are never reused.
/// </summary>
internal static class BpfPins
{
    public const string BpffsPath = "/sys/fs/bpf";
    public const string Root = BpffsPath + "/s3slower";
    private const string LinkPrefix = "link_";

    /// <summary>The pin directory of one build of the BPF object.</summary>
    public static string DirectoryFor(string imageHash) => Path.Combine(Root, imageHash);

    /// <summary>The pin file of a tracepoint program's link (next to the maps, which are pinned under their own names).</summary>
    public static string LinkPath(string directory, string program) => Path.Combine(directory, LinkPrefix + program);

    /// <summary>Mounts bpffs at /sys/fs/bpf when it is not (a fresh machine, a container).</summary>
    public static void EnsureBpffs(TextWriter log)
    {
        if (IsBpffsMounted())
        {
            return;
        }

        if (!Directory.Exists(BpffsPath))
        {
            throw new BpfException($"{BpffsPath} does not exist: cannot pin the eBPF maps (--pin); run without --pin.");
        }

        if (LibC.Mount("bpf", BpffsPath, "bpf", 0, 0) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new BpfException($"bpffs is not mounted and mounting it at {BpffsPath} failed (errno {errno}); mount it with `mount -t bpf bpf {BpffsPath}` or run without --pin.");
        }

        log.WriteLine($"s3slower: mounted bpffs at {BpffsPath}");
    }

    /// <summary>Pins of other builds (an upgrade): their programs are detached and their maps freed once unpinned.</summary>
    public static void RemoveOtherBuilds(string imageHash, TextWriter log)
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (string dir in Directory.EnumerateDirectories(Root))
        {
            if (!string.Equals(Path.GetFileName(dir), imageHash, StringComparison.Ordinal))
            {
                Directory.Delete(dir, recursive: true);
                log.WriteLine($"s3slower: removed pins of another collector build ({dir}); tracing restarts with this build");
            }
        }
    }

    /// <summary>Removes the link pins of a directory whose maps were not all reused (their programs write elsewhere).</summary>
    public static void RemoveLinks(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string link in Directory.EnumerateFiles(directory, LinkPrefix + "*"))
        {
            File.Delete(link);
        }
    }

    /// <summary><c>--unpin</c>: removes every pin; true when there was something to remove.</summary>
    public static bool RemoveAll()
    {
        if (!Directory.Exists(Root))
        {
            return false;
        }

        Directory.Delete(Root, recursive: true);
        return true;
    }

    private static bool IsBpffsMounted()
    {
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            // "<source> <mountpoint> <type> ..."
            string[] fields = line.Split(' ', 4);
            if (fields.Length >= 3 && fields[1] == BpffsPath && fields[2] == "bpf")
            {
                return true;
            }
        }

        return false;
    }
}

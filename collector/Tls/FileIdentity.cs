namespace S3Slower.Collector.Tls;

/// <summary>
/// A file as the kernel knows it (device major:minor + inode). Uprobes live on inodes, so one attachment per identity
/// covers every process, every path (hard links, /proc/&lt;pid&gt;/root views) and every later dlopen of that file.
/// </summary>
public readonly record struct FileIdentity(uint Major, uint Minor, ulong Inode)
{
    /// <summary>From a userspace <c>st_dev</c> (glibc's encoding, as <c>gnu_dev_major</c>/<c>gnu_dev_minor</c> decode it).</summary>
    public static FileIdentity FromStatDevice(ulong device, ulong inode) => new(
        (uint)(((device >> 8) & 0xfff) | ((device >> 32) & 0xfffff000)),
        (uint)((device & 0xff) | ((device >> 12) & 0xffffff00)),
        inode);

    /// <summary>From the kernel's internal <c>dev_t</c> (<c>sb-&gt;s_dev</c>: 12-bit major, 20-bit minor).</summary>
    public static FileIdentity FromKernelDevice(uint device, ulong inode) => new(device >> 20, device & 0xfffff, inode);

    /// <summary>The kernel-internal encoding, as the BPF programs compare it.</summary>
    public uint KernelDevice => (Major << 20) | (Minor & 0xfffff);

    /// <summary>Stats <paramref name="path"/> (following links); false when it does not exist or cannot be read.</summary>
    public static bool TryOf(string path, out FileIdentity identity)
    {
        identity = default;
        if (TlsNative.Stat(path, out var device, out var inode) != 0)
        {
            return false;
        }

        identity = FromStatDevice(device, inode);
        return true;
    }

    public override string ToString() => $"{Major}:{Minor}/{Inode}";
}

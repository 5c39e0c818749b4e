namespace S3Slower.Collector.Tls;

/// <summary>
/// A file as the kernel knows it (device major:minor + inode), and the inode's change time. Uprobes live on inodes, so
/// one attachment per <see cref="Inode"/>-level identity (<see cref="WithoutChangeTime"/>) covers every process, every
/// path (hard links, /proc/&lt;pid&gt;/root views) and every later dlopen of that file; an attached inode stays allocated,
/// so its number cannot be reused meanwhile. Files only examined are remembered with their change time: a deleted
/// file's inode number may be reused for a new library, which must not pass for the file examined before.
/// </summary>
public readonly record struct FileIdentity(uint Major, uint Minor, ulong Inode, long ChangeTimeNs = 0)
{
    /// <summary>From a userspace <c>st_dev</c> (glibc's encoding, as <c>gnu_dev_major</c>/<c>gnu_dev_minor</c> decode it).</summary>
    public static FileIdentity FromStatDevice(ulong device, ulong inode, long changeTimeNs = 0) => new(
        (uint)(((device >> 8) & 0xfff) | ((device >> 32) & 0xfffff000)),
        (uint)((device & 0xff) | ((device >> 12) & 0xffffff00)),
        inode,
        changeTimeNs);

    /// <summary>From the kernel's internal <c>dev_t</c> (<c>sb-&gt;s_dev</c>: 12-bit major, 20-bit minor).</summary>
    public static FileIdentity FromKernelDevice(uint device, ulong inode, long changeTimeNs = 0) =>
        new(device >> 20, device & 0xfffff, inode, changeTimeNs);

    /// <summary>The inode alone: what an attachment is keyed by.</summary>
    public FileIdentity WithoutChangeTime => this with { ChangeTimeNs = 0 };

    /// <summary>The change time as the kernel keeps it: seconds and nanoseconds.</summary>
    public (long Seconds, uint Nanoseconds) ChangeTime
    {
        get
        {
            long seconds = Math.DivRem(ChangeTimeNs, NanosecondsPerSecond, out long nanoseconds);
            if (nanoseconds < 0)
            {
                seconds--;
                nanoseconds += NanosecondsPerSecond;
            }

            return (seconds, (uint)nanoseconds);
        }
    }

    public static long ChangeTimeOf(long seconds, uint nanoseconds) => (seconds * NanosecondsPerSecond) + nanoseconds;

    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>The kernel-internal encoding, as the BPF programs compare it.</summary>
    public uint KernelDevice => (Major << 20) | (Minor & 0xfffff);

    /// <summary>Stats <paramref name="path"/> (following links); false when it does not exist or cannot be read.</summary>
    public static bool TryOf(string path, out FileIdentity identity)
    {
        identity = default;
        if (TlsNative.Stat(path, out var device, out var inode, out long changeTimeNs) != 0)
        {
            return false;
        }

        identity = FromStatDevice(device, inode, changeTimeNs);
        return true;
    }

    public override string ToString() => $"{Major}:{Minor}/{Inode}";
}

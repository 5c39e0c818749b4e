namespace S3Slower.Collector.Tls;

/// <summary>
/// A defined function symbol: its virtual address in the image and the file offset a uprobe needs
/// (uprobes are placed on (inode, file offset), not on addresses).
/// </summary>
public sealed record ElfSymbol(string Name, ulong VirtualAddress, ulong FileOffset, ulong Size);

namespace S3Slower.Collector.Bpf;

/// <summary>One loaded BPF program and the hook it is attached to (what <c>--ebpf</c> prints).</summary>
public sealed record AttachedProgram(string Name, string Hook, int KernelId);

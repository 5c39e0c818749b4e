using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>Mirror of <c>struct s3s_config</c> (bpf/s3slower.h): the filters the BPF programs apply, in map <c>s3s_cfg</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelConfig
{
    public const string MapName = "s3s_cfg";

    /// <summary>1: only tgids in <c>pid_filter</c>.</summary>
    public uint FilterPids;

    /// <summary>1: only process names in <c>comm_filter</c>.</summary>
    public uint FilterComms;

    /// <summary>Never traced: the collector itself.</summary>
    public uint SelfTgid;

    /// <summary>1: track connections whose first request is not signed for S3 too (<c>--all-http</c>).</summary>
    public uint AllHttp;
}

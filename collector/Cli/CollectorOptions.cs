using System.CommandLine;

namespace S3Slower.Collector.Cli;

/// <summary>The collector's flags, shared by the plain command and by `run`.</summary>
internal sealed class CollectorOptions
{
    public Option<string> Socket { get; } = new("--socket") { Description = "Unix socket of the aggregator", DefaultValueFactory = _ => Shared.Protocol.ProtocolConstants.DefaultSocketPath };
    public Option<int[]> Pid { get; } = new("--pid", "-p") { Description = "trace only these process ids (repeatable)", AllowMultipleArgumentsPerToken = true };
    public Option<string[]> Comm { get; } = new("--comm") { Description = "trace only these process names (repeatable)", AllowMultipleArgumentsPerToken = true };
    public Option<bool> AllHttp { get; } = new("--all-http") { Description = "report every HTTP request, not only S3-signed ones" };
    public Option<bool> Debug { get; } = new("--debug") { Description = "debug logging; print the verifier log when a BPF program is rejected" };
    public Option<bool> Ebpf { get; } = new("--ebpf") { Description = "print the loaded eBPF programs, the hooks and TLS libraries they attach to, and exit" };
    public Option<string?> Config { get; } = new("--cfg", "-C") { Description = "YAML config file (legacy keys: pid, debug, ...)" };
    public Option<double?> Duration { get; } = new("--duration") { Description = "stop after this many seconds" };
    public Option<int> RingBufferMiB { get; } = new("--ring-buffer-mib") { Description = "kernel ring buffer size in MiB (power of two)", DefaultValueFactory = _ => 16 };
    public Option<int> SpoolEvents { get; } = new("--spool-events") { Description = "events kept while the aggregator is unreachable", DefaultValueFactory = _ => 400_000 };
    public Option<string[]> TlsLib { get; } = new("--tls-lib") { Description = "extra TLS library or binary to attach to (repeatable)" };
    public Option<bool> NoTls { get; } = new("--no-tls") { Description = "do not attach TLS uprobes" };
    public Option<bool> Print { get; } = new("--print") { Description = "also print each request as a JSON line on stdout" };
    public Option<bool> Pin { get; } = new("--pin") { Description = "keep the eBPF maps and programs pinned in /sys/fs/bpf/s3slower, so tracing goes on across collector restarts (the service uses it)" };
    public Option<string?> StateDir { get; } = new("--state-dir") { Description = "journal events here until the aggregator has them, and keep the collector id, so a killed collector loses nothing (the service uses /var/lib/s3slower/collector)" };
    public Option<bool> Unpin { get; } = new("--unpin") { Description = "remove the pinned eBPF maps and programs (/sys/fs/bpf/s3slower) and exit" };

    /// <summary>
    /// The options of a command. Only the standalone collector (the one with <c>--socket</c>, run by the service) pins:
    /// `run` is a foreground session whose tracing should end with it.
    /// </summary>
    public IEnumerable<Option> All(bool includeSocket) =>
        ((Option[])[Socket, Pid, Comm, AllHttp, Debug, Ebpf, Config, Duration, RingBufferMiB, SpoolEvents, TlsLib, NoTls, Print, Pin, StateDir, Unpin])
            .Where(o => includeSocket || (o != Socket && o != Pin && o != StateDir && o != Unpin));

    public CollectorSettings Read(ParseResult result)
    {
        var settings = new CollectorSettings();
        if (result.GetValue(Config) is { } path)
        {
            var config = Shared.Configuration.ConfigLoader.LoadFile(path);
            settings = settings with { Pids = config.Pids, Comms = config.Comms, Debug = config.Debug, DurationSeconds = config.DurationSeconds, SocketPath = config.SocketPath };
        }

        int[] pids = result.GetValue(Pid) ?? [];
        string[] comms = result.GetValue(Comm) ?? [];
        int ring = result.GetValue(RingBufferMiB);
        if (ring < 1 || (ring & (ring - 1)) != 0)
        {
            throw new ArgumentException($"--ring-buffer-mib must be a power of two, not {ring}");
        }

        if (pids.Any(p => p <= 0))
        {
            throw new ArgumentException("--pid takes positive process ids");
        }

        return settings with
        {
            SocketPath = result.GetResult(Socket) is null && settings.SocketPath is { } fromConfig ? fromConfig : result.GetValue(Socket)!,
            Pids = pids.Length > 0 ? pids : settings.Pids,
            Comms = comms.Length > 0 ? comms : settings.Comms,
            AllHttp = result.GetValue(AllHttp),
            Debug = result.GetValue(Debug) || settings.Debug,
            DescribeEbpf = result.GetValue(Ebpf),
            DurationSeconds = result.GetValue(Duration) ?? settings.DurationSeconds,
            RingBufferMiB = ring,
            SpoolEvents = Math.Max(1, result.GetValue(SpoolEvents)),
            TlsLibraries = result.GetValue(TlsLib) ?? [],
            NoTls = result.GetValue(NoTls),
            Print = result.GetValue(Print),
            Pin = result.GetResult(Pin) is not null && result.GetValue(Pin),
            StateDirectory = result.GetResult(StateDir) is null ? null : Path.GetFullPath(result.GetValue(StateDir)!),
            Unpin = result.GetResult(Unpin) is not null && result.GetValue(Unpin),
        };
    }
}

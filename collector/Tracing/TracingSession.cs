using System.Text;
using S3Slower.Collector.Bpf;
using S3Slower.Collector.Cli;
using S3Slower.Collector.Tls;
using S3Slower.Collector.Transport;

namespace S3Slower.Collector.Tracing;

/// <summary>
/// The tracing half of the collector: loads and attaches the BPF programs, reads the ring buffer on its own thread,
/// assembles requests and publishes them. Dispose detaches and reports requests still in flight as incomplete, unless
/// the ring is pinned and journaled: then their records stay in the ring for the next collector to finish them.
/// </summary>
public sealed class TracingSession : IDisposable
{
    private const int PollTimeoutMs = 50;

    /// <summary>
    /// With nothing read in the last pass and no request in flight, no request can come due before new records arrive,
    /// so an idle host is read 4 times a second instead of 20: each wake-up of an idle agent is a context switch taken
    /// from whatever runs there. Records that arrive meanwhile wait at most this long, well inside the second within
    /// which the last request of an idle connection must be reported.
    /// </summary>
    private const int IdlePollTimeoutMs = 250;
    private const long CounterIntervalNs = 1_000_000_000;
    private const long ClockResyncIntervalNs = 10_000_000_000;
    private const int MaxFilterEntries = 64;

    // Records held for requests still in flight may take at most this share of the ring: the kernel wakes the reader
    // when a quarter is unread, so holding more would turn every record into a wake-up.
    private const int HeldShareDivisor = 8;

    private readonly BpfObject _bpf;
    private readonly IEventSink _sink;
    private readonly TextWriter _log;
    private readonly RequestAssembler _assembler;
    private readonly MonotonicClock _clock = new();
    private readonly Thread _poller;
    private readonly IRecordDurability? _durability;
    private readonly bool _leavePendingInRing;
    private readonly RingRecordHandler _onRecord;
    private TlsTracer? _tls;
    private RingBufferReader? _reader;
    private volatile bool _stopping;
    private ulong _lastLost;
    private long _malformed;

    private TracingSession(BpfObject bpf, TraceOptions options, IEventSink sink, TextWriter log, IRecordDurability? durability, bool pinned)
    {
        _bpf = bpf;
        _sink = sink;
        _log = log;
        _durability = durability;
        _leavePendingInRing = durability is not null && pinned;
        _onRecord = OnRecord;
        _assembler = new RequestAssembler(sink, new AssemblerOptions { AllHttp = options.AllHttp, IdleFlushNs = (long)options.IdleFlush.TotalNanoseconds }, _clock.ToUnixNs);
        _poller = new Thread(PollLoop) { IsBackground = true, Name = "s3slower-ringbuf" };
    }

    /// <summary>The programs and the hooks they are attached to.</summary>
    public IReadOnlyList<AttachedProgram> Programs => _bpf.Attached;

    /// <summary>Requests published so far.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>
    /// Kernel records or requests the collector could not use: records too short for their header or copy length,
    /// records whose handling threw, request heads that did not parse, and records of connections whose request start
    /// was never seen (e.g. after a collector restart). Requests filtered out as not S3 are not counted (that is the
    /// filter working). Safe to read from any thread.
    /// </summary>
    public long MalformedEvents => Interlocked.Read(ref _malformed) + Volatile.Read(ref _unparsed) + Volatile.Read(ref _orphans);

    private long _published;
    private long _unparsed;
    private long _orphans;
    private bool _saidReleasedEarly;

    /// <summary>
    /// Loads, configures and attaches the programs, then starts polling. Throws <see cref="BpfException"/> with a readable reason.
    /// With <paramref name="pin"/>, maps and tracepoint links live in bpffs (<c>/sys/fs/bpf/s3slower/&lt;build&gt;</c>): they
    /// outlive this process, and a later session reuses them and drains what the kernel queued meanwhile.
    /// With <paramref name="durability"/>, ring records are released only once the events they produced are safe, and
    /// (pinned) a stop leaves the requests in flight in the ring for the next session instead of reporting them incomplete.
    /// </summary>
    public static TracingSession Start(TraceOptions options, IEventSink sink, TextWriter log, bool pin = false, IRecordDurability? durability = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(log);
        Validate(options);
        BpfPreflight.Check(log);
        LibbpfLog.Install(log, options.Debug);

        if (pin)
        {
            BpfPins.EnsureBpffs(log);
        }

        BpfObject bpf = BpfObject.Open();
        TracingSession? session = null;
        try
        {
            uint ringBytes = (uint)options.RingBufferMiB << 20;
            bpf.SetMaxEntries("events", ringBytes);
            string? pinDir = pin ? BpfPins.DirectoryFor(bpf.ImageHash) : null;
            int reusedMaps = 0;
            if (pinDir is not null)
            {
                BpfPins.RemoveOtherBuilds(bpf.ImageHash, log);
                reusedMaps = bpf.UsePins(pinDir);
            }

            bpf.Load(options.Debug);
            if (pinDir is not null && bpf.MaxEntries("events") != ringBytes)
            {
                log.WriteLine($"s3slower: kept the pinned ring buffer of {bpf.MaxEntries("events") >> 20} MiB (--ring-buffer-mib {options.RingBufferMiB} applies after --unpin)");
            }

            Configure(bpf, options, reusedMaps > 0);
            session = new TracingSession(bpf, options, sink, log, durability, pin);
            // The consumer exists before any new program is attached; reused links never stopped writing.
            session.OpenRingBuffer();
            int reusedLinks = bpf.AttachTracepoints(pinDir);
            foreach (string missing in bpf.Missing)
            {
                log.WriteLine($"s3slower: tracepoint {missing}");
            }

            if (pinDir is not null)
            {
                log.WriteLine(reusedMaps > 0
                    ? $"s3slower: continuing pinned tracing in {pinDir} ({reusedMaps} maps, {reusedLinks} links reused)"
                    : $"s3slower: pinned maps and links in {pinDir} (they stay after exit; --unpin removes them)");
            }

            session._tls = options.NoTls ? null : TlsTracer.Start(new TlsTracerOptions(options.TlsLibraries, Debug: options.Debug, PinDirectory: pinDir), bpf.Handle, log);
            session._poller.Start();
            return session;
        }
        catch
        {
            if (session is not null)
            {
                session.Dispose();
            }
            else
            {
                bpf.Dispose();
            }

            throw;
        }
    }

    /// <summary>What <c>--ebpf</c> prints: each program, its kernel id and its hook.</summary>
    public void Describe(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"{Programs.Count} eBPF programs attached:");
        foreach (AttachedProgram p in Programs)
        {
            output.WriteLine($"  {p.Name,-22} id {p.KernelId,-6} {p.Hook}");
        }

        foreach (string line in _tls?.Describe() ?? [])
        {
            output.WriteLine(line);
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        if (_poller.IsAlive)
        {
            _poller.Join();
        }

        _tls?.Dispose();
        _bpf.Dispose(); // pinned links stay attached
        _reader?.Dispose();
        _reader = null;
    }

    private static void Validate(TraceOptions options)
    {
        int mib = options.RingBufferMiB;
        if (mib <= 0 || mib > 1024 || (mib & (mib - 1)) != 0)
        {
            throw new BpfException($"--ring-buffer-mib must be a power of two between 1 and 1024 (got {mib}).");
        }

        if (options.Pids.Count > MaxFilterEntries || options.Comms.Count > MaxFilterEntries)
        {
            throw new BpfException($"At most {MaxFilterEntries} --pid and {MaxFilterEntries} --comm values are supported.");
        }

        foreach (int pid in options.Pids)
        {
            if (pid <= 0)
            {
                throw new BpfException($"--pid {pid} is not a process id.");
            }
        }
    }

    private static void Configure(BpfObject bpf, TraceOptions options, bool reusedMaps)
    {
        foreach (int pid in options.Pids)
        {
            bpf.Update("pid_filter", (uint)pid, (byte)1);
        }

        foreach (string comm in options.Comms)
        {
            bpf.Update("comm_filter", CommKey.From(comm), (byte)1);
        }

        if (reusedMaps)
        {
            // Filters of the earlier collector go only after this one's are in: the programs keep running meanwhile.
            var pids = options.Pids.Select(p => (uint)p).ToHashSet();
            bpf.RemoveKeys("pid_filter", sizeof(uint), key => pids.Contains(BitConverter.ToUInt32(key)));
            var comms = options.Comms.Select(c => CommKey.From(c).ToHex()).ToHashSet(StringComparer.Ordinal);
            bpf.RemoveKeys("comm_filter", KernelRecord.CommLength, key => comms.Contains(Convert.ToHexString(key)));
        }

        var config = new KernelConfig
        {
            FilterPids = options.Pids.Count > 0 ? 1u : 0u,
            FilterComms = options.Comms.Count > 0 ? 1u : 0u,
            SelfTgid = (uint)LibC.GetPid(),
            AllHttp = options.AllHttp ? 1u : 0u,
        };
        bpf.Update(KernelConfig.MapName, 0u, config);
    }

    private void OpenRingBuffer()
    {
        _reader = new RingBufferReader(Libbpf.MapFd(_bpf.Map("events")), _bpf.MaxEntries("events"));
        _durability?.Attach(Durability.EventJournal.IdentifyRing(HostIdentity.BootId, _reader.MapId()));
        ReportLost();
    }

    private void PollLoop()
    {
        RingBufferReader reader = _reader!;
        ulong nextCounters = 0, nextResync = MonotonicClock.NowNs + (ulong)ClockResyncIntervalNs;
        int timeoutMs = PollTimeoutMs;
        while (!_stopping)
        {
            // The kernel wakes this thread only when the ring fills up; between wake-ups it is read on the timer.
            reader.Wait(timeoutMs);
            int records = reader.Read(_onRecord);
            ulong now = MonotonicClock.NowNs;
            _assembler.FlushIdle(now);
            timeoutMs = records == 0 && _assembler.OldestPendingOrigin == ulong.MaxValue ? IdlePollTimeoutMs : PollTimeoutMs;
            Release(reader);
            _sink.Flush();
            PublishCounters();
            if (now >= nextCounters)
            {
                nextCounters = now + CounterIntervalNs;
                ReportLost();
            }

            if (now >= nextResync)
            {
                nextResync = now + ClockResyncIntervalNs;
                _clock.Resync();
            }
        }

        // What is already in the ring buffer still counts. Requests in flight end here, unless the ring is pinned and
        // journaled: then their records stay in the ring and the next collector finishes them.
        reader.Read(_onRecord);
        if (_leavePendingInRing)
        {
            _assembler.FlushIdle(MonotonicClock.NowNs);
        }
        else
        {
            _assembler.FlushAll();
        }

        Release(reader);
        _sink.Flush();
        PublishCounters();
        ReportLost();
    }

    private void PublishCounters()
    {
        Volatile.Write(ref _published, _assembler.Published);
        Volatile.Write(ref _unparsed, _assembler.SkippedUnparsed);
        Volatile.Write(ref _orphans, _assembler.OrphanRecords);
    }

    /// <summary>Gives the kernel back the ring up to what was read, or up to the oldest request in flight once events are safe.</summary>
    private void Release(RingBufferReader reader)
    {
        ulong read = reader.ReadPosition;
        ulong release = read;
        if (_durability is not null && _durability.Persist())
        {
            ulong oldest = _assembler.OldestPendingOrigin;
            if (oldest < read)
            {
                if (read - oldest <= reader.Size / HeldShareDivisor)
                {
                    release = oldest;
                }
                else if (!_saidReleasedEarly)
                {
                    _saidReleasedEarly = true;
                    _log.WriteLine($"s3slower: requests in flight hold more than 1/{HeldShareDivisor} of the ring buffer; their records are released " +
                        "before they finish, so a collector killed now would lose them (a larger --ring-buffer-mib holds more)");
                }
            }
        }

        reader.Release(release);
        _durability?.Released(reader.ReleasedPosition);
    }

    private void OnRecord(ulong position, ReadOnlySpan<byte> data)
    {
        try
        {
            if (KernelRecord.TryRead(data, out KernelRecord record, out ReadOnlySpan<byte> bytes))
            {
                _assembler.OnRecord(in record, bytes, position);
            }
            else
            {
                Interlocked.Increment(ref _malformed);
            }
        }
#pragma warning disable CA1031 // one bad record must not stop tracing; it is counted and the session goes on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _malformed);
            _log.WriteLine($"s3slower: dropped a kernel record: {ex.Message}");
        }
    }

    private void ReportLost()
    {
        ulong lost = _bpf.SumPerCpu("lost");
        if (lost != _lastLost)
        {
            _lastLost = lost;
            _sink.ReportKernelLost(lost);
        }
    }

    [System.Runtime.CompilerServices.InlineArray(KernelRecord.CommLength)]
    private struct CommKey
    {
        private byte _element;

        /// <summary>The kernel keeps 15 bytes of a process name and a NUL.</summary>
        public static CommKey From(string comm)
        {
            var key = default(CommKey);
            Span<byte> span = key;
            byte[] bytes = Encoding.UTF8.GetBytes(comm);
            bytes.AsSpan(0, Math.Min(bytes.Length, KernelRecord.CommLength - 1)).CopyTo(span);
            return key;
        }

        public readonly string ToHex() => Convert.ToHexString(this);
    }
}

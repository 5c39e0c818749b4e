using System.Buffers;
using System.Globalization;
using S3Slower.Bench.Infrastructure;
using S3Slower.Bench.Overhead;
using S3Slower.Collector.Bpf;
using S3Slower.Collector.Tracing;
using S3Slower.Collector.Transport;
using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.CollectorPath;

/// <summary>
/// <c>collector</c>: the collector's user-space CPU per request, stage by stage, in this process on one thread with
/// the collector's own types: ring records → requests (parsed, credentials stripped) → the frames sent to the
/// aggregator. No kernel and no root: the records are those the BPF programs emit for the overhead bench's HTTP load,
/// so the last row is what `bench overhead` charges the collector for parsing and sending each request.
/// </summary>
internal static class CollectorPathProfile
{
    private const int RequestsPerRound = 8192;
    private const int Connections = 8;

    public static int Run()
    {
        var stream = KernelRecordStream.Create(RequestsPerRound, Connections);
        var clock = new MonotonicClock();
        var spool = new EventSpool(RequestsPerRound * 2);
        var assembler = new RequestAssembler(spool, new AssemblerOptions(), clock.ToUnixNs);
        var batch = new List<RequestEvent>(ProtocolConstants.MaxEventsPerBatch);
        var frames = new ArrayBufferWriter<byte>(1 << 20);
        Console.WriteLine($"collector: the collector's user-space work in-process, one thread, best of {StageTimer.Samples} samples of {StageTimer.Rounds} rounds × {RequestsPerRound:N0} requests " +
                          $"on {Connections} keep-alive connections (wrk's signed GET, the responder's 200 with {S3ResponderServer.BodyBytes} body bytes; after a warm-up)");

        var rows = StageTimer.MeasureAll(RequestsPerRound,
        [
            ("read records (header and copy, bounds-checked)", () => ReadAll(stream, (in KernelRecord _, ReadOnlySpan<byte> _) => { })),
            ("+ assembled into requests (parse, strip, spool)", () =>
            {
                ReadAll(stream, (in KernelRecord record, ReadOnlySpan<byte> data) => assembler.OnRecord(in record, data));
                spool.Acknowledge(ulong.MaxValue);
            }),
            ("+ encoded into frames (as the sender does)", () =>
            {
                ReadAll(stream, (in KernelRecord record, ReadOnlySpan<byte> data) => assembler.OnRecord(in record, data));
                Send(spool, batch, frames);
            }),
        ]);

        long published = assembler.Published;
        StageTimer.Print(rows, "request");
        Console.WriteLine("  (CPU ns = this thread's CLOCK_THREAD_CPUTIME; GC work done on other threads is not in it; each row adds a stage to the row above it)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {published:N0} requests published, {assembler.OrphanRecords:N0} orphan records, {assembler.SkippedUnparsed:N0} unparsed; frames {frames.WrittenCount / (double)RequestsPerRound:N0} bytes per request"));
        return assembler.OrphanRecords == 0 && assembler.SkippedUnparsed == 0 && published > 0 ? 0 : 1;
    }

    private delegate void RecordHandler(in KernelRecord record, ReadOnlySpan<byte> data);

    private static void ReadAll(KernelRecordStream stream, RecordHandler handle)
    {
        foreach (byte[] raw in stream.Records)
        {
            if (!KernelRecord.TryRead(raw, out KernelRecord record, out ReadOnlySpan<byte> data))
            {
                throw new InvalidOperationException("the bench built a malformed record");
            }

            handle(in record, data);
        }
    }

    private static void Send(EventSpool spool, List<RequestEvent> batch, ArrayBufferWriter<byte> frames)
    {
        frames.ResetWrittenCount();
        ulong next = spool.FirstUnacknowledged;
        while (true)
        {
            ulong first = spool.CopyFrom(next, ProtocolConstants.MaxEventsPerBatch, batch);
            if (batch.Count == 0)
            {
                break;
            }

            EventBatchEncoder.Write(frames, first, batch);
            next = first + (ulong)batch.Count;
            spool.Acknowledge(next);
        }
    }
}

using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Ingest;
using S3Slower.Aggregator.Metrics;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Statistics;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// Writes each batch's JSONL records, in arrival order, then acknowledges it. Runs on the single aggregation loop.
/// Statistics, metrics and screen rows are the <see cref="Recorder"/>'s: connections count their batches on arrival,
/// and a batch that reaches this loop uncounted (a test, a caller without a recorder) is counted here first.
/// </summary>
/// <remarks>
/// Acknowledgement and a failing disk. <see cref="IngestBatch.MarkStored"/> tells the collector it may forget the
/// events; acks are cumulative per collector, so acking batch k+1 also acks k. Hence when a write fails, that batch
/// and every batch after it (of any collector, to keep one FIFO) wait in <see cref="_pending"/> with their rendered
/// lines and are acked only once their lines are in the file, in order. Meanwhile the collectors keep the unacked
/// events in their spools, and metrics and statistics keep counting (they were updated when the batch arrived).
/// Writing is retried with each new batch and on the loop's idle tick, so it resumes by itself when space returns.
/// Memory is bounded: past <see cref="ProcessingOptions.MaxPendingLogBytes"/> the pending records are written off —
/// acked without being in the file and counted in <c>s3slower_log_records_dropped_total</c> — because holding acks
/// longer only moves the loss into the collectors' spools (where it would be counted too) while this process grows.
/// </remarks>
public sealed class EventProcessor : IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly ProcessingOptions _options;
    private readonly SelfMetrics _self;
    private readonly OperationsLog? _log;
    private readonly KeyRedactor _redactor;
    private readonly ILogger _logger;
    private readonly Queue<PendingBatch> _pending = new();
    private readonly ArrayBufferWriter<byte> _render = new(64 * 1024);
    private readonly Utf8JsonWriter _json;
    private long _pendingBytes;

    public EventProcessor(
        ProcessingOptions options, S3Classifier classifier, StatsStore stats, RequestMetrics metrics, SelfMetrics self,
        ScreenTable? screen, OperationsLog? log, ILogger logger)
    {
        _options = options;
        Recorder = new BatchRecorder(options, new ScrubbingClassifier(classifier, logger), stats, metrics, screen);
        _self = self;
        _log = options.WriteLog ? log : null;
        _redactor = new KeyRedactor(options.Redaction);
        _logger = logger;
        _json = new Utf8JsonWriter(_render, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>Counts batches into statistics and metrics; shared with the connections.</summary>
    public BatchRecorder Recorder { get; }

    /// <summary>True when batches need this loop after they are counted (the operations log); otherwise the connection acknowledges them itself.</summary>
    public bool WritesLog => _log is not null;

    public long EventsProcessed => Recorder.EventsRecorded;

    public int PendingBatches => _pending.Count;

    /// <summary>Collector ids seen in this run (for the report metadata); safe to read from any thread.</summary>
    public IReadOnlyList<string> Collectors => Recorder.Collectors;

    public void Process(IngestBatch batch)
    {
        Recorder.Record(batch);
        if (_log is null)
        {
            batch.MarkStored();
            return;
        }

        _render.ResetWrittenCount();
        var events = batch.Events;
        var requests = batch.Requests!;
        for (int i = 0; i < events.Count; i++)
        {
            Render(batch.Collector, batch.SequenceAt(i), events[i], requests[i]);
        }

        if (_pending.Count == 0 && _log.TryAppend(_render.WrittenSpan))
        {
            batch.MarkStored();
            return;
        }

        bool firstFailure = _pending.Count == 0;
        _pending.Enqueue(new PendingBatch(batch, _render.WrittenSpan.ToArray()));
        _pendingBytes += _render.WrittenCount;
        if (firstFailure)
        {
            _self.LogWriteFailed();
        }
        else
        {
            RetryPending();
        }
    }

    /// <summary>Writes what waits for the disk, oldest first; called with each batch and on the idle tick.</summary>
    public void RetryPending()
    {
        if (_log is null)
        {
            return;
        }

        while (_pending.TryPeek(out var p))
        {
            if (!_log.TryAppend(p.Lines))
            {
                _self.LogWriteFailed();
                break;
            }

            _pending.Dequeue();
            _pendingBytes -= p.Lines.Length;
            p.Batch.MarkStored();
        }

        if (_pendingBytes > _options.MaxPendingLogBytes)
        {
            long records = 0;
            while (_pending.TryDequeue(out var p))
            {
                records += p.Batch.Events.Count;
                p.Batch.MarkStored();
            }

            _pendingBytes = 0;
            _self.LogRecordsDropped(records);
            _logger.LogError("Output still unwritable: {Records} request records written off (counted in metrics, not in {Path})", records, _log.Path);
        }
    }

    /// <summary>Periodic housekeeping from the loop: expire series of exited processes.</summary>
    public void Tick(DateTime now) => Recorder.Tick(now);

    public void Dispose() => _json.Dispose();

    private void Render(Hello collector, ulong seq, RequestEvent e, S3Request request)
    {
        var timing = RequestTiming.From(e);
        if (timing.TotalNs < _options.MinLatencyNs)
        {
            return;
        }

        var record = ToRecord(collector, seq, e, request, timing);
        _json.Reset();
        OperationRecordWriter.Write(_json, record);
        _json.Flush();
        _render.Write(NewLine);
    }

    internal OperationRecord ToRecord(Hello collector, ulong seq, RequestEvent e, S3Request request, in RequestTiming t) => new()
    {
        Time = ReportBuilder.Rfc3339(DateTimeOffset.UnixEpoch.AddTicks(e.RequestStartNs / 100)),
        CollectorId = collector.CollectorId,
        Seq = seq,
        Hostname = collector.Hostname,
        Pid = e.Pid,
        Tid = e.Tid,
        Comm = e.Comm,
        Method = e.Method,
        Operation = request.Operation,
        Bucket = request.Bucket,
        Key = _redactor.Redact(request.Key),
        PartNumber = request.PartNumber,
        Endpoint = request.Endpoint,
        Status = e.Status,
        ErrorCode = e.ErrorCode,
        RequestId = e.RequestId,
        AmzId2 = e.AmzId2,
        Tls = e.Tls,
        ConnectionId = e.ConnectionId,
        RequestBytes = e.RequestBodyBytes,
        ResponseBytes = e.ResponseBodyBytes,
        TotalMs = Ms(t.TotalNs),
        TtfbMs = Ms(t.TtfbNs),
        UploadMs = Ms(t.UploadNs),
        ServerMs = Ms(t.ServerWaitNs),
        WaitMs = Ms(t.ServerWaitNs),
        DownloadMs = Ms(t.DownloadNs),
        Flags = FlagNames(e.Flags),
    };

    private static double Ms(long ns) => ns / 1e6;

    private static readonly string[] NoFlags = [];

    private static IReadOnlyList<string> FlagNames(RequestFlags flags)
    {
        if (flags == RequestFlags.None)
        {
            return NoFlags;
        }

        var names = new List<string>(2);
        if (flags.HasFlag(RequestFlags.Continue100))
        {
            names.Add("continue_100");
        }

        if (flags.HasFlag(RequestFlags.IdleFlush))
        {
            names.Add("idle_flush");
        }

        if (flags.HasFlag(RequestFlags.Incomplete))
        {
            names.Add("incomplete");
        }

        if (flags.HasFlag(RequestFlags.HeadTruncated))
        {
            names.Add("head_truncated");
        }

        return names;
    }

    private sealed record PendingBatch(IngestBatch Batch, byte[] Lines);
}

using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using S3Slower.Shared.Protocol;

namespace S3Slower.Collector.Durability;

/// <summary>
/// The collector's write-ahead log of published events, so that <c>kill -9</c> of the collector loses nothing: each
/// event is appended with its sequence number and the ring position of its first record, and written to the file
/// (page cache is enough: the process dies, not the kernel) before the ring records behind it are released.
/// Segments roll over at <see cref="SegmentBytes"/> and are deleted once every event in them is acknowledged by the
/// aggregator and their records are released from the ring (so they can be neither resent nor rebuilt).
/// </summary>
/// <remarks>
/// Segment layout: 8-byte magic, 8-byte ring identity, then entries of
/// [payload length u32][sequence u64][origin u64][MessagePack RequestEvent], little-endian. A torn last entry
/// (the process died mid-write) is ignored on recovery.
/// </remarks>
internal sealed class EventJournal : IDisposable
{
    public const long SegmentBytes = 16L << 20;
    private const string Extension = ".s3sj";
    private const int HeaderBytes = 16;
    private const int EntryHeaderBytes = 20;
    private const int MaxPayloadBytes = 1 << 20;
    private static readonly byte[] Magic = "S3SJRNL1"u8.ToArray();

    private readonly string _directory;
    private readonly TextWriter _log;
    private readonly List<Segment> _closed = [];
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private Segment? _current;
    private FileStream? _file;
    private ulong _currentMaxSequence;
    private ulong _currentMaxOrigin;
    private DateTime _failedAt;

    private EventJournal(string directory, TextWriter log)
    {
        _directory = directory;
        _log = log;
    }

    /// <summary>The ring buffer that origins of new entries refer to; set before the first <see cref="Flush"/>.</summary>
    public ulong RingIdentity { get; set; }

    /// <summary>
    /// False while writing fails (a full disk, a removed directory): events still flow, without the journal. Writing
    /// is tried again, in a new segment, <see cref="RetryAfter"/> after the failure.
    /// </summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>How long a failed journal waits before it tries to write again.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Segments on disk, the one being written included.</summary>
    public int SegmentCount => _closed.Count + (_current is null ? 0 : 1);

    /// <summary>Opens the journal in <paramref name="directory"/> and reads back what an earlier collector left.</summary>
    public static EventJournal Open(string directory, TextWriter log, out JournalRecovery recovery)
    {
        Directory.CreateDirectory(directory);
        var journal = new EventJournal(directory, log);
        var entries = new List<JournalEntry>();
        long torn = 0;
        foreach (string path in Directory.EnumerateFiles(directory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            journal._closed.Add(ReadSegment(path, entries, ref torn));
        }

        recovery = new JournalRecovery(entries, torn);
        return journal;
    }

    /// <summary>Ring positions are meaningful only for the same map in the same boot.</summary>
    public static ulong IdentifyRing(string bootId, uint mapId)
    {
        // FNV-1a: a stable hash (string.GetHashCode is randomised per process, and the identity is stored on disk).
        const uint FnvOffsetBasis = 2166136261;
        const uint FnvPrime = 16777619;
        uint hash = FnvOffsetBasis;
        foreach (char c in bootId)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return ((ulong)hash << 32) | mapId;
    }

    /// <summary>Queues one event for the next <see cref="Flush"/>.</summary>
    public void Append(ulong sequence, ulong origin, RequestEvent request)
    {
        if (!Healthy && !TryResume())
        {
            return;
        }

        int start = _pending.WrittenCount;
        _pending.GetSpan(EntryHeaderBytes);
        _pending.Advance(EntryHeaderBytes); // filled in below, once the payload length is known
        var writer = new MessagePackWriter(_pending);
        MessagePackSerializer.Serialize(ref writer, request, MessagePackSerializerOptions.Standard);
        writer.Flush();
        var entry = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_pending.WrittenMemory).Span[start..];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)(entry.Length - EntryHeaderBytes));
        BinaryPrimitives.WriteUInt64LittleEndian(entry[4..], sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[12..], origin);
        _currentMaxSequence = Math.Max(_currentMaxSequence, sequence);
        _currentMaxOrigin = Math.Max(_currentMaxOrigin, origin);
    }

    /// <summary>Writes what was appended to the file. False when the journal is (now) unusable.</summary>
    public bool Flush()
    {
        if (!Healthy)
        {
            return false;
        }

        if (_pending.WrittenCount == 0)
        {
            return true;
        }

        try
        {
            if (_file is null || _file.Length >= SegmentBytes)
            {
                Roll();
            }

            _file!.Write(_pending.WrittenSpan);
            _file.Flush();
            _current = _current! with { MaxSequence = Math.Max(_current.MaxSequence, _currentMaxSequence), MaxOrigin = Math.Max(_current.MaxOrigin, _currentMaxOrigin) };
            _currentMaxSequence = 0;
            _currentMaxOrigin = 0;
            _pending.ResetWrittenCount();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Healthy = false;
            _failedAt = DateTime.UtcNow;
            _pending.ResetWrittenCount();
            _log.WriteLine($"s3slower-collector: journal in {_directory} stopped ({ex.Message}); events are still sent, but a collector crash from now on can lose the ones not yet acknowledged");
            return false;
        }
    }

    /// <summary>
    /// Deletes the segments whose events are all acknowledged (below <paramref name="firstUnacknowledged"/>) and
    /// whose requests began before <paramref name="released"/> in the ring.
    /// </summary>
    public void Prune(ulong firstUnacknowledged, ulong released)
    {
        for (int i = _closed.Count - 1; i >= 0; i--)
        {
            Segment segment = _closed[i];
            // The newest sequence number stays on disk until this collector has written a later one.
            if (_current is not null && segment.MaxSequence < firstUnacknowledged && (segment.RingIdentity != RingIdentity || segment.MaxOrigin < released))
            {
                TryDelete(segment.Path);
                _closed.RemoveAt(i);
            }
        }
    }

    public void Dispose()
    {
        Flush();
        _file?.Dispose();
        _file = null;
    }

    /// <summary>After <see cref="RetryAfter"/>: closes the failed segment (its torn end is cut on recovery) and lets the next flush start a new one.</summary>
    private bool TryResume()
    {
        if (DateTime.UtcNow - _failedAt < RetryAfter)
        {
            return false;
        }

        if (_current is not null)
        {
            _closed.Add(_current);
            _current = null;
        }

        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Flushing the failed file's buffer fails for the same reason as before; what it held is lost either way.
        }

        _file = null;
        Healthy = true;
        _log.WriteLine($"s3slower-collector: journal in {_directory}: writing again");
        return true;
    }

    private void Roll()
    {
        if (_current is not null)
        {
            _closed.Add(_current);
        }

        _file?.Dispose();
        string path = Path.Combine(_directory, $"{DateTime.UtcNow:yyyyMMddHHmmssfffffff}-{Environment.ProcessId}{Extension}");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], RingIdentity);
        _file.Write(header);
        _current = new Segment(path, RingIdentity, MaxSequence: 0, MaxOrigin: 0);
    }

    private static Segment ReadSegment(string path, List<JournalEntry> entries, ref long torn)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            torn += bytes.Length;
            return new Segment(path, RingIdentity: 0, MaxSequence: 0, MaxOrigin: 0);
        }

        ulong ring = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        ulong maxSequence = 0, maxOrigin = 0;
        int offset = HeaderBytes;
        while (bytes.Length - offset >= EntryHeaderBytes)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            if (length > MaxPayloadBytes || length > bytes.Length - offset - EntryHeaderBytes)
            {
                break;
            }

            ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset + 4));
            ulong origin = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset + 12));
            RequestEvent request;
            try
            {
                request = MessagePackSerializer.Deserialize<RequestEvent>(bytes.AsMemory(offset + EntryHeaderBytes, (int)length), FrameCodec.Options);
            }
            catch (MessagePackSerializationException)
            {
                break;
            }

            entries.Add(new JournalEntry(sequence, ring, origin, request));
            maxSequence = Math.Max(maxSequence, sequence);
            maxOrigin = Math.Max(maxOrigin, origin);
            offset += EntryHeaderBytes + (int)length;
        }

        torn += bytes.Length - offset;
        return new Segment(path, ring, maxSequence, maxOrigin);
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.WriteLine($"s3slower-collector: cannot delete journal segment {path}: {ex.Message}");
        }
    }

    private sealed record Segment(string Path, ulong RingIdentity, ulong MaxSequence, ulong MaxOrigin);
}

using Microsoft.Extensions.Logging;

namespace S3Slower.Aggregator.Output;

/// <summary>
/// Appends whole batches of JSONL to <c>operations.jsonl</c>. A write that fails (disk full, directory gone or not
/// writable) is rolled back to the last complete line, reported, and reported again only when it changes or recovers,
/// so a full disk does not flood the journal. The caller decides what to do with the data that did not make it.
/// </summary>
public sealed class OperationsLog : IDisposable
{
    public const string FileName = "operations.jsonl";

    private static readonly TimeSpan RepeatErrorEvery = TimeSpan.FromMinutes(1);

    private readonly string _directory;
    private readonly ILogger _logger;
    private FileStream? _stream;
    private string? _lastError;
    private DateTime _lastErrorLogged;

    public OperationsLog(string directory, ILogger logger)
    {
        _directory = directory;
        _logger = logger;
        Path = System.IO.Path.Combine(directory, FileName);
    }

    public string Path { get; }

    public bool Healthy => _lastError is null;

    /// <summary>Writes and flushes to the kernel; true when every byte is in the file.</summary>
    public bool TryAppend(ReadOnlySpan<byte> lines)
    {
        long before = -1;
        try
        {
            _stream ??= Open();
            before = _stream.Length;
            _stream.Write(lines);

            // Flushed to the kernel, not fsynced: an aggregator crash loses nothing acknowledged; a host crash may lose
            // the last page-cache seconds, which fsync per batch would not be worth at 10^5 requests/s.
            _stream.Flush(flushToDisk: false);
            if (_lastError is not null)
            {
                _logger.LogWarning("Writing {Path} again after: {Error}", Path, _lastError);
                _lastError = null;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RollBack(before);
            Report(ex);
            return false;
        }
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(_directory);
        var stream = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            BufferSize = 0,
        });
        try
        {
            CutTornLastLine(stream);
            stream.Seek(0, SeekOrigin.End);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A crash in the middle of a write (kill -9, power loss) leaves a last line without its newline. That record was
    /// never acknowledged, so the collector resends it; appending after the fragment would glue the next record onto
    /// it and make both unreadable. Cut the file back to its last complete line.
    /// </summary>
    private void CutTornLastLine(FileStream stream)
    {
        long length = stream.Length;
        if (length == 0)
        {
            return;
        }

        Span<byte> last = stackalloc byte[1];
        stream.Seek(length - 1, SeekOrigin.Begin);
        stream.ReadExactly(last);
        if (last[0] == (byte)'\n')
        {
            return;
        }

        var buffer = new byte[64 * 1024];
        long end = length;
        while (end > 0)
        {
            int chunk = (int)Math.Min(buffer.Length, end);
            stream.Seek(end - chunk, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, chunk);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', chunk - 1, chunk);
            if (newline >= 0)
            {
                long keep = end - chunk + newline + 1;
                _logger.LogWarning("{Path} ended with a torn line ({Bytes} bytes, from an interrupted write); cut it off", Path, length - keep);
                stream.SetLength(keep);
                return;
            }

            end -= chunk;
        }

        _logger.LogWarning("{Path} held only a torn line ({Bytes} bytes); cut it off", Path, length);
        stream.SetLength(0);
    }

    // A short write leaves half a line; cut it off so the retry appends whole lines only.
    private void RollBack(long before)
    {
        try
        {
            if (_stream is not null && before >= 0 && _stream.Length > before)
            {
                _stream.SetLength(before);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug(ex, "Could not truncate {Path} after a failed write", Path);
        }

        // Reopen next time: the directory may have been recreated or remounted.
        _stream?.Dispose();
        _stream = null;
    }

    private void Report(Exception ex)
    {
        var now = DateTime.UtcNow;
        if (ex.Message != _lastError || now - _lastErrorLogged > RepeatErrorEvery)
        {
            _logger.LogError("Cannot write {Path}: {Error}. Metrics keep counting; records are kept and retried", Path, ex.Message);
            _lastErrorLogged = now;
        }

        _lastError = ex.Message;
    }
}

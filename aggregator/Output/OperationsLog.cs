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
        return new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 0,
        });
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

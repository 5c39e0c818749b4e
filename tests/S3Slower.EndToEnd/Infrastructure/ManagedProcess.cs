using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>A child process whose output lines are kept, which can be waited on for a line, and which is stopped on dispose.</summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ManagedProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyCollection<string> StdoutLines => _stdout;

    public IReadOnlyCollection<string> StderrLines => _stderr;

    internal static ManagedProcess Start(string name, string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, name);
        process.OutputDataReceived += (_, e) => managed.Add(managed._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => managed.Add(managed._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {file}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Waits for an output line (stdout or stderr) matching; fails with the output so far if the process exits or time runs out.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = _stdout.Concat(_stderr).FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }

            if (_process.HasExited)
            {
                await Task.Delay(200);
                line = _stdout.Concat(_stderr).FirstOrDefault(match);
                return line ?? throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} before {what}.\n{Output()}");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{Name} did not report {what} within {timeout.TotalSeconds:F0} s.\n{Output()}");
            }

            await _lineArrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Name} did not finish within {timeout.TotalSeconds:F0} s.\n{Output()}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL if it does not exit in time.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Signal("TERM");
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public string Output(int lastLines = 60)
    {
        var text = new StringBuilder();
        text.AppendLine($"--- {Name} stdout (last {lastLines} lines) ---");
        foreach (var line in _stdout.TakeLast(lastLines))
        {
            text.AppendLine(line);
        }

        text.AppendLine($"--- {Name} stderr (last {lastLines} lines) ---");
        foreach (var line in _stderr.TakeLast(lastLines))
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        _lineArrived.Dispose();
    }

    private void Add(ConcurrentQueue<string> queue, string? line)
    {
        if (line is null)
        {
            return;
        }

        queue.Enqueue(line);
        _lineArrived.Release();
    }
}

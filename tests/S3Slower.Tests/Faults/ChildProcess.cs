using System.Diagnostics;

namespace S3Slower.Tests.Faults;

/// <summary>A started executable whose output lines are kept for assertions and failure messages.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private readonly bool _keepStdout;
    private int _disposed;

    private ChildProcess(Process process, string name, bool keepStdout)
    {
        _process = process;
        _keepStdout = keepStdout;
        Name = name;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string Stdout => Joined(_stdout);

    public string Stderr => Joined(_stderr);

    public int StdoutLineCount
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.Count;
            }
        }
    }

    /// <summary>When <paramref name="keepStdout"/> is false, standard output is drained but not kept (high-volume --print).</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, bool keepStdout = true)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // The test runner may itself run under systemd; its socket-activation variables are not for the child.
        psi.Environment.Remove("LISTEN_FDS");
        psi.Environment.Remove("LISTEN_PID");
        psi.Environment.Remove("NOTIFY_SOCKET");
        psi.Environment.Remove("WATCHDOG_USEC");
        return new ChildProcess(Process.Start(psi)!, Path.GetFileName(file), keepStdout);
    }

    public bool StderrContains(string text)
    {
        lock (_stderr)
        {
            return _stderr.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    public async Task<bool> WaitForStderrAsync(string text, TimeSpan timeout) =>
        await FaultEnvironment.WaitUntilAsync(() => StderrContains(text) || HasExited, timeout) && StderrContains(text);

    public async Task KillHardAsync()
    {
        FaultEnvironment.Signal(Pid, FaultEnvironment.SigKill);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public string Diagnostics(int lastLines = 40)
    {
        string[] err;
        lock (_stderr)
        {
            err = [.. _stderr.TakeLast(lastLines)];
        }

        return $"--- {Name} (pid {Pid}, {(HasExited ? $"exited {ExitCode}" : "running")}) stderr, last {lastLines} lines:\n{string.Join('\n', err)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
        }

        _process.Dispose();
    }

    private void Append(List<string> lines, string? line)
    {
        if (line is null || (ReferenceEquals(lines, _stdout) && !_keepStdout))
        {
            return;
        }

        lock (lines)
        {
            lines.Add(line);
        }
    }

    private static string Joined(List<string> lines)
    {
        lock (lines)
        {
            return string.Join('\n', lines);
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace S3Slower.Bench.Overhead;

/// <summary>The pipe loop in a fresh child process (this binary's hidden <c>pipe-loop</c> command).</summary>
internal sealed class PipeWorkload : IWorkload
{
    private readonly int _seconds;

    public PipeWorkload(int seconds) => _seconds = seconds;

    public string Name => "pipe";

    public string Comm => "s3slower-bench";

    public string Unit => "ops/s";

    public double Target => 0.99;

    public bool ProducesRequests => false;

    public async Task<Measurement> RunAsync()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("pipe-loop");
        info.ArgumentList.Add("--seconds");
        info.ArgumentList.Add(_seconds.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the pipe loop");
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
        {
            throw new InvalidOperationException($"the pipe loop failed (exit {process.ExitCode}): {output}");
        }

        return new Measurement(rate, null);
    }
}

using System.Diagnostics;
using System.Globalization;

namespace S3Slower.Bench.Overhead;

/// <summary>A byte loop (pipe or tcp) in a fresh child process: this binary's hidden <c>pipe-loop</c> or <c>tcp-loop</c> command.</summary>
internal sealed class ByteLoopWorkload : IWorkload
{

    public ByteLoopWorkload(string name, int seconds)
    {
        Name = name;
        Seconds = seconds;
    }

    public string Name { get; }

    public int Seconds { get; }

    public string Comm => "s3slower-bench";

    public string Unit => "ops/s";

    public double Target => 0.99;

    public bool ProducesRequests => false;

    public async Task<Measurement> RunAsync()
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add($"{Name}-loop");
        info.ArgumentList.Add("--seconds");
        info.ArgumentList.Add(Seconds.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the {Name} loop");
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !double.TryParse(output.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
        {
            throw new InvalidOperationException($"the {Name} loop failed (exit {process.ExitCode}): {output}");
        }

        return new Measurement(rate, null);
    }
}

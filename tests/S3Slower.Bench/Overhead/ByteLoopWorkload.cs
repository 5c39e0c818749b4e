using System.Globalization;
using S3Slower.Bench.Infrastructure;

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

    public double? Target => 0.99;

    public bool ProducesRequests => false;

    public async Task<Measurement> RunAsync()
    {
        string output = await SelfCommand.RunAsync([$"{Name}-loop", "--seconds", Seconds.ToString(CultureInfo.InvariantCulture)], $"the {Name} loop");
        if (!double.TryParse(output, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
        {
            throw new InvalidOperationException($"the {Name} loop printed '{output}', not its rate");
        }

        return new Measurement(rate, null);
    }
}

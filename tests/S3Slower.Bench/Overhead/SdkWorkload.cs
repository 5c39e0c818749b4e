using System.Globalization;
using S3Slower.Bench.Infrastructure;

namespace S3Slower.Bench.Overhead;

/// <summary>The .NET AWS SDK's GetObject loop (<see cref="SdkLoop"/>) in a fresh child process: this binary's hidden <c>sdk-loop</c> command.</summary>
internal sealed class SdkWorkload : IWorkload
{
    private readonly int _port;
    private readonly int _connections;

    public SdkWorkload(int port, int connections, int seconds)
    {
        _port = port;
        _connections = connections;
        Seconds = seconds;
    }

    public string Name => "sdk";

    public int Seconds { get; }

    public string Comm => "s3slower-bench";

    public string Unit => "req/s";

    /// <summary>
    /// None: the SDK's own CPU per request moves by a factor of two between identical runs here (its thread pool and
    /// the responder's spin in <c>sched_yield</c>), far more than tracing adds, so its ratio is printed, not judged.
    /// </summary>
    public double? Target => null;

    public bool ProducesRequests => true;

    public string Command => string.Create(CultureInfo.InvariantCulture, $"s3slower-bench sdk-loop --port {_port} --connections {_connections} --seconds {Seconds}");

    public async Task<Measurement> RunAsync()
    {
        string output = await SelfCommand.RunAsync(
            ["sdk-loop", "--port", _port.ToString(CultureInfo.InvariantCulture), "--connections", _connections.ToString(CultureInfo.InvariantCulture), "--seconds", Seconds.ToString(CultureInfo.InvariantCulture)],
            "the SDK loop");
        string[] fields = output.Split(' ');
        if (fields.Length != 2
            || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long requests)
            || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
        {
            throw new InvalidOperationException($"the SDK loop printed '{output}', not its request count and rate");
        }

        return new Measurement(rate, requests);
    }
}

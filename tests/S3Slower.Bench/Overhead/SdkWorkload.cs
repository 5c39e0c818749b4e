using System.Globalization;
using S3Slower.Bench.Infrastructure;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// The .NET AWS SDK's GetObject loop (<see cref="SdkLoop"/>) in a fresh child process, against the bench's
/// responder: the overhead a real S3 client sees, where wrk shows the worst case.
/// </summary>
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

    /// <summary>The child is this executable: its requests are reported under its process name.</summary>
    public string Comm => "s3slower-bench";

    public string Unit => "req/s";

    public double Target => 0.97;

    public bool ProducesRequests => true;

    public string Command => $"s3slower-bench sdk-loop --port {_port} --connections {_connections} --seconds {Seconds}";

    public async Task<Measurement> RunAsync()
    {
        string output = await SelfCommand.RunAsync(Command.Split(' ')[1..], "the SDK loop");
        string[] fields = output.Split(' ');
        if (fields.Length != 2
            || !long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long requests)
            || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
        {
            throw new InvalidOperationException($"the SDK loop printed '{output}', not its requests and rate");
        }

        return new Measurement(rate, requests);
    }
}

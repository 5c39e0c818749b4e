namespace S3Slower.Bench.Overhead;

internal interface IWorkload
{
    string Name { get; }

    string Unit { get; }

    /// <summary>Minimum traced/untraced throughput ratio the issue asks for; null for a load measured for information only.</summary>
    double? Target { get; }

    /// <summary>True when every unit of work is an S3 request the collector must report.</summary>
    bool ProducesRequests { get; }

    /// <summary>The kernel comm of the process whose requests are counted: the collector traces the whole host, and other processes may make S3 requests meanwhile.</summary>
    string Comm { get; }

    /// <summary>Length of one run.</summary>
    int Seconds { get; }

    Task<Measurement> RunAsync();
}

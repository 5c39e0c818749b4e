using System.Reflection;

namespace S3Slower.Tests.Service;

/// <summary>Paths of the repository files the service tests check (the test project stamps its root in).</summary>
internal static class ServiceRepo
{
    public static string Root { get; } = typeof(ServiceRepo).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value
        ?? throw new InvalidOperationException("RepoRoot assembly metadata is empty");

    public static string SystemdDir => Path.Combine(Root, "systemd");

    public static string MonitoringDir => Path.Combine(Root, "monitoring");

    public static string PackagingDir => Path.Combine(Root, "packaging");

    public static readonly string[] Units = ["s3slower-aggregator.socket", "s3slower-aggregator.service", "s3slower-collector.service"];
}

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>A real S3 client of tests/clients and how to start its scenario.</summary>
public sealed record TestClient(string Name, string File, IReadOnlyList<string> Args, bool JitCompiled = false)
{
    public static TestClient AwsCli { get; } = new("awscli", "bash", [Path.Combine(RepoPaths.Clients, "awscli_scenario.sh")]);

    public static TestClient Boto3 { get; } = new("boto3", "python3", [Path.Combine(RepoPaths.Clients, "python", "boto3_scenario.py")]);

    public static TestClient Curl { get; } = new("curl", "bash", [Path.Combine(RepoPaths.Clients, "curl_scenario.sh")]);

    public static TestClient NodeSdk { get; } = new("node", "node", [Path.Combine(RepoPaths.Clients, "node", "s3-scenario.js")], JitCompiled: true);

    public static TestClient DotnetSdk { get; } = new("dotnet", DotnetClientPath(), [], JitCompiled: true);

    private static string DotnetClientPath()
    {
        var release = Path.Combine(RepoPaths.Root, "artifacts", "bin", "S3Slower.DotnetClient", "release", "dotnet-s3-client");
        var debug = Path.Combine(RepoPaths.Root, "artifacts", "bin", "S3Slower.DotnetClient", "debug", "dotnet-s3-client");
        return System.IO.File.Exists(release) || !System.IO.File.Exists(debug) ? release : debug;
    }
}

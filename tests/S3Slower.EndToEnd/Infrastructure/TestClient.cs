namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>
/// A real S3 client of tests/clients and how to start its scenario. <paramref name="ProcessName"/> is the name its
/// requests must be reported under: the process's (at most 15 characters, as the kernel keeps it), never the name of
/// the runtime thread that happened to send.
/// </summary>
public sealed record TestClient(string Name, string ProcessName, string File, IReadOnlyList<string> Args, bool JitCompiled = false)
{
    public static TestClient AwsCli { get; } = new("awscli", "aws", "bash", [Path.Combine(RepoPaths.Clients, "awscli_scenario.sh")]);

    public static TestClient Boto3 { get; } = new("boto3", "python3", "python3", [Path.Combine(RepoPaths.Clients, "python", "boto3_scenario.py")]);

    public static TestClient Curl { get; } = new("curl", "curl", "bash", [Path.Combine(RepoPaths.Clients, "curl_scenario.sh")]);

    public static TestClient NodeSdk { get; } = new("node", "node", "node", [Path.Combine(RepoPaths.Clients, "node", "s3-scenario.js")], JitCompiled: true);

    public static TestClient DotnetSdk { get; } = new("dotnet", "dotnet-s3-clien", DotnetClientPath(), [], JitCompiled: true);

    private static string DotnetClientPath()
    {
        var release = Path.Combine(RepoPaths.Root, "artifacts", "bin", "S3Slower.DotnetClient", "release", "dotnet-s3-client");
        var debug = Path.Combine(RepoPaths.Root, "artifacts", "bin", "S3Slower.DotnetClient", "debug", "dotnet-s3-client");
        return System.IO.File.Exists(release) || !System.IO.File.Exists(debug) ? release : debug;
    }
}

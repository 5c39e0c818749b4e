using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace S3Slower.Tests.Classification;

/// <summary>The S3 service model that ships with the botocore of this machine's python3, the list of every S3 operation.</summary>
internal sealed class BotocoreS3Model
{
    private static readonly Lazy<BotocoreS3Model> s_instance = new(Load);

    private BotocoreS3Model(string path, IReadOnlyList<ModelOperation> operations)
    {
        Path = path;
        Operations = operations;
    }

    public static BotocoreS3Model Instance => s_instance.Value;

    public string Path { get; }

    public IReadOnlyList<ModelOperation> Operations { get; }

    private static BotocoreS3Model Load()
    {
        string botocoreDir = FindBotocore();
        string s3Dir = System.IO.Path.Combine(botocoreDir, "data", "s3");
        string? versionDir = Directory.Exists(s3Dir)
            ? Directory.GetDirectories(s3Dir).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault()
            : null;
        string? file = versionDir is null
            ? null
            : new[] { "service-2.json", "service-2.json.gz" }.Select(f => System.IO.Path.Combine(versionDir, f)).FirstOrDefault(File.Exists);
        if (file is null)
        {
            throw new InvalidOperationException($"botocore at {botocoreDir} has no data/s3/*/service-2.json(.gz)");
        }

        using Stream raw = File.OpenRead(file);
        using Stream json = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using JsonDocument doc = JsonDocument.Parse(json);
        return new BotocoreS3Model(file, ParseOperations(doc.RootElement));
    }

    private static string FindBotocore()
    {
        const string Script = "import botocore, os; print(os.path.dirname(botocore.__file__))";
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        try
        {
            using Process process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"botocore is not installed for python3 (install it: pip install botocore). python3 said: {error.Trim()}");
            }

            return output.Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("python3 is not on PATH; the S3 model test needs python3 with botocore", e);
        }
    }

    private static List<ModelOperation> ParseOperations(JsonElement root)
    {
        JsonElement shapes = root.GetProperty("shapes");
        var operations = new List<ModelOperation>();
        foreach (JsonProperty op in root.GetProperty("operations").EnumerateObject())
        {
            JsonElement http = op.Value.GetProperty("http");
            var requiredQuery = new List<string>();
            var optionalQuery = new List<string>();
            var requiredHeaders = new List<string>();
            if (op.Value.TryGetProperty("input", out JsonElement input))
            {
                JsonElement shape = shapes.GetProperty(input.GetProperty("shape").GetString()!);
                HashSet<string> required = shape.TryGetProperty("required", out JsonElement req)
                    ? [.. req.EnumerateArray().Select(e => e.GetString()!)]
                    : [];
                foreach (JsonProperty member in shape.GetProperty("members").EnumerateObject())
                {
                    string? location = member.Value.TryGetProperty("location", out JsonElement l) ? l.GetString() : null;
                    string? name = member.Value.TryGetProperty("locationName", out JsonElement n) ? n.GetString() : null;
                    if (name is null)
                    {
                        continue;
                    }

                    bool isRequired = required.Contains(member.Name);
                    if (location == "querystring")
                    {
                        (isRequired ? requiredQuery : optionalQuery).Add(name);
                    }
                    else if (location == "header" && isRequired)
                    {
                        requiredHeaders.Add(name.ToLowerInvariant());
                    }
                }
            }

            string? hostPrefix = op.Value.TryGetProperty("endpoint", out JsonElement endpoint)
                && endpoint.TryGetProperty("hostPrefix", out JsonElement prefix) ? prefix.GetString() : null;
            var contextParams = op.Value.TryGetProperty("staticContextParams", out JsonElement ctx)
                ? ctx.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
                : [];
            bool deprecated = op.Value.TryGetProperty("deprecated", out JsonElement dep) && dep.GetBoolean();
            operations.Add(new ModelOperation(
                op.Name,
                http.GetProperty("method").GetString()!,
                http.GetProperty("requestUri").GetString()!,
                requiredQuery,
                optionalQuery,
                requiredHeaders,
                hostPrefix,
                contextParams,
                deprecated));
        }

        return operations;
    }
}

/// <summary>One operation of the model: how its HTTP request is built.</summary>
internal sealed record ModelOperation(
    string Name,
    string Method,
    string RequestUri,
    IReadOnlyList<string> RequiredQuery,
    IReadOnlyList<string> OptionalQuery,
    IReadOnlyList<string> RequiredHeaders,
    string? HostPrefix,
    IReadOnlySet<string> StaticContextParams,
    bool Deprecated)
{
    public bool HasBucket => RequestUri.Contains("{Bucket}", StringComparison.Ordinal);

    public bool HasKey => RequestUri.Contains("{Key+}", StringComparison.Ordinal);

    public override string ToString() => $"{Name} ({Method} {RequestUri})";
}

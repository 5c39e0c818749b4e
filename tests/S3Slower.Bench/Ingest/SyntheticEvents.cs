using S3Slower.Shared.Protocol;

namespace S3Slower.Bench.Ingest;

/// <summary>
/// Builds request events that look like a busy host's S3 traffic: several client processes, a mix of operations
/// (GET/PUT/HEAD/LIST/DELETE, multipart parts, copies), a few buckets and endpoints, keys with depth, sizes from bytes
/// to megabytes and some errors (403, 404, 503 SlowDown). Deterministic for a given seed so runs compare.
/// </summary>
internal static class SyntheticEvents
{
    private static readonly string[] s_comms = ["python3", "aws", "java", "node", "s3slower-test", "rclone", "spark-executor", "dotnet"];
    private static readonly string[] s_buckets = ["logs-prod", "ml-datasets", "backups", "web-assets", "tmp-scratch"];
    private static readonly string[] s_hosts = ["s3.amazonaws.com", "s3.eu-west-1.amazonaws.com", "minio.local:9000", "{0}.s3.us-east-2.amazonaws.com"];
    private static readonly string[] s_prefixes = ["2024/06/01", "raw/part", "images/thumbs", "checkpoints/epoch", "db/wal"];

    public static RequestEvent[] Create(int count, int seed, long baseUnixNs)
    {
        var random = new Random(seed);
        var events = new RequestEvent[count];
        long clock = baseUnixNs;
        for (int i = 0; i < count; i++)
        {
            clock += random.Next(1_000, 400_000);
            events[i] = CreateOne(random, clock, (ulong)(seed * 1_000_000 + i / 16));
        }

        return events;
    }

    private static RequestEvent CreateOne(Random random, long startNs, ulong connectionId)
    {
        string bucket = s_buckets[random.Next(s_buckets.Length)];
        string hostPattern = s_hosts[random.Next(s_hosts.Length)];
        bool virtualHosted = hostPattern.StartsWith('{');
        string host = virtualHosted ? string.Format(System.Globalization.CultureInfo.InvariantCulture, hostPattern, bucket) : hostPattern;
        string bucketPath = virtualHosted ? "" : "/" + bucket;
        string key = $"{s_prefixes[random.Next(s_prefixes.Length)]}/{random.Next(100_000):D6}.{(random.Next(3) == 0 ? "parquet" : "json")}";

        string method;
        string target;
        long requestBytes = 0;
        long responseBytes = 0;
        Dictionary<string, string>? headers = null;
        int roll = random.Next(100);
        if (roll < 45)
        {
            method = "GET";
            target = $"{bucketPath}/{key}";
            responseBytes = Size(random);
        }
        else if (roll < 65)
        {
            method = "PUT";
            target = $"{bucketPath}/{key}";
            requestBytes = Size(random);
            headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["content-length"] = requestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        else if (roll < 75)
        {
            method = "HEAD";
            target = $"{bucketPath}/{key}";
        }
        else if (roll < 83)
        {
            method = "GET";
            target = $"{bucketPath}?list-type=2&prefix={s_prefixes[random.Next(s_prefixes.Length)].Replace("/", "%2F", StringComparison.Ordinal)}&max-keys=1000";
            responseBytes = random.Next(500, 300_000);
        }
        else if (roll < 90)
        {
            method = "PUT";
            target = $"{bucketPath}/{key}?partNumber={random.Next(1, 200)}&uploadId=2~{random.Next():x8}";
            requestBytes = 8L * 1024 * 1024;
        }
        else if (roll < 94)
        {
            method = "PUT";
            target = $"{bucketPath}/{key}.copy";
            headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["x-amz-copy-source"] = $"{bucket}/{key}" };
            responseBytes = 234;
        }
        else
        {
            method = "DELETE";
            target = $"{bucketPath}/{key}";
        }

        (int status, string? errorCode) = random.Next(100) switch
        {
            < 2 => (404, "NoSuchKey"),
            < 3 => (403, "AccessDenied"),
            < 4 => (503, "SlowDown"),
            _ => (method == "DELETE" ? 204 : 200, (string?)null),
        };
        if (errorCode is not null)
        {
            responseBytes = 243;
        }

        // Phases: upload proportional to body (~1 GB/s loopback-ish), server wait 0.3..30 ms, download by size.
        long upload = 20_000 + requestBytes;
        long wait = random.Next(300_000, 30_000_000);
        long download = 10_000 + responseBytes;
        int pid = 1000 + random.Next(12) * 37;
        return new RequestEvent
        {
            RequestStartNs = startNs,
            RequestEndNs = startNs + upload,
            ResponseStartNs = startNs + upload + wait,
            ResponseEndNs = startNs + upload + wait + download,
            RequestBodyBytes = requestBytes,
            ResponseBodyBytes = responseBytes,
            Pid = pid,
            Tid = pid + random.Next(8),
            Comm = s_comms[pid % s_comms.Length],
            Method = method,
            Target = target,
            Host = host,
            Status = status,
            RequestId = $"{random.NextInt64():X16}",
            AmzId2 = random.Next(4) == 0 ? null : Convert.ToBase64String(BitConverter.GetBytes(random.NextInt64())),
            ErrorCode = errorCode,
            Tls = !host.StartsWith("minio", StringComparison.Ordinal),
            ConnectionId = connectionId,
            Peer = host.StartsWith("minio", StringComparison.Ordinal) ? "127.0.0.1:9000" : $"52.216.{random.Next(256)}.{random.Next(256)}:443",
            Flags = RequestFlags.None,
            Headers = headers,
        };
    }

    // Mostly small objects with a long tail, as object stores see them.
    private static long Size(Random random) => random.Next(10) switch
    {
        < 5 => random.Next(100, 16_384),
        < 8 => random.Next(16_384, 1_048_576),
        < 9 => random.Next(1_048_576, 16 * 1_048_576),
        _ => random.Next(0, 100),
    };
}

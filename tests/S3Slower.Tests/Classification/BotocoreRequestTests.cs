using System.Diagnostics;
using System.Text.Json;
using S3Slower.Aggregator.Classification;

namespace S3Slower.Tests.Classification;

/// <summary>
/// Lets botocore itself build the request of every S3 operation (virtual-hosted and path-style addressing, its own
/// endpoint rules, host prefixes and headers); a send hook captures each request so nothing leaves the machine.
/// The classifier must name each one as the SDK did. Fails, never skips, without python3 and botocore.
/// </summary>
public sealed class BotocoreRequestTests
{
    private const string CaptureScript = """
import json, sys
import botocore.session
from botocore.config import Config
from botocore.awsrequest import AWSResponse

class _Raw:
    def stream(self, **kw):
        return iter([b""])

def capture(out, addressing):
    s = botocore.session.get_session()
    c = s.create_client("s3", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                        config=Config(parameter_validation=False, s3={"addressing_style": addressing}, retries={"max_attempts": 0}))
    model = c.meta.service_model
    current = {}
    def before_send(request, **kw):
        current["req"] = request
        return AWSResponse(request.url, 200, {}, _Raw())
    c.meta.events.register("before-send.s3", before_send)
    samples = {"Bucket": "amzn-s3-demo-bucket", "Key": "photos/a b+c.jpg", "UploadId": "u1", "PartNumber": 3,
               "CopySource": "src/key", "Id": "cfg1", "RequestRoute": "route-1", "RequestToken": "t", "RenameSource": "src/key",
               "ObjectAttributes": ["ETag"]}
    for name in model.operation_names:
        op = model.operation_model(name)
        params = {}
        for m in (op.input_shape.required_members if op.input_shape else []):
            if m in samples: params[m] = samples[m]
        current.clear()
        try:
            getattr(c, botocore.xform_name(name))(**params)
        except Exception as e:
            pass
        r = current.get("req")
        if r is None:
            out.append({"operation": name, "error": "no request"}); continue
        from urllib.parse import urlsplit
        u = urlsplit(r.url)
        hdrs = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()
                if k.lower() in ("x-amz-copy-source", "content-type", "x-amz-request-route")}
        out.append({"operation": name, "method": r.method, "target": u.path + ("?" + u.query if u.query else ""),
                    "host": u.netloc, "headers": hdrs})
out = []
for style in ("virtual", "path"):
    capture(out, style)
for o in out: print(json.dumps(o))
""";

    [Fact]
    public void Requests_built_by_botocore_are_classified_as_the_operation_it_called()
    {
        List<JsonElement> requests = CaptureRequests();
        int operations = BotocoreS3Model.Instance.Operations.Count;
        Assert.True(requests.Count == 2 * operations, $"botocore built {requests.Count} requests for {operations} operations x 2 addressing styles");

        var classifier = new S3Classifier();
        var failures = new List<string>();
        foreach (JsonElement request in requests)
        {
            string name = request.GetProperty("operation").GetString()!;
            if (request.TryGetProperty("error", out JsonElement error))
            {
                failures.Add($"{name}: botocore built no request ({error.GetString()})");
                continue;
            }

            string expected = BotocoreModelTests.Exceptions.TryGetValue(name, out var exception) ? exception.ClassifiedAs : name;
            var headers = request.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            string method = request.GetProperty("method").GetString()!;
            string target = request.GetProperty("target").GetString()!;
            string host = request.GetProperty("host").GetString()!;
            S3Request result = classifier.Classify(method, target, host, headers);
            if (result.Operation != expected)
            {
                failures.Add($"{name}: {method} {host}{target} -> {result.Operation} (rule: {result.Rule})");
            }
            else if (target.Contains("photos/", StringComparison.Ordinal) && result.Key != "photos/a b+c.jpg")
            {
                failures.Add($"{name}: {method} {host}{target} -> key '{result.Key}'");
            }
            else if (name != "ListBuckets" && name != "ListDirectoryBuckets" && name != "WriteGetObjectResponse" && result.Bucket != "amzn-s3-demo-bucket")
            {
                failures.Add($"{name}: {method} {host}{target} -> bucket '{result.Bucket}'");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {requests.Count} botocore requests misclassified:\n{string.Join('\n', failures)}");
    }

    private static List<JsonElement> CaptureRequests()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(CaptureScript);
        // No profile, proxy or region from the environment may change what botocore builds.
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        start.Environment.Remove("AWS_PROFILE");
        start.Environment.Remove("AWS_ENDPOINT_URL");
        start.Environment.Remove("AWS_ENDPOINT_URL_S3");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<JsonElement>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 with botocore is needed (pip install botocore); it failed: {stderr.Result}");
        return lines;
    }
}

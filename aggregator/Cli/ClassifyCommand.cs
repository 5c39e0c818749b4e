using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using S3Slower.Aggregator.Classification;

namespace S3Slower.Aggregator.Cli;

/// <summary>
/// <c>classify METHOD TARGET [--host HOST] [-H 'Name: value']... [--endpoint-suffix S]... | --jsonl</c>: shows how a request
/// is classified and which rule decided, so users can see why a request was counted where it was.
/// </summary>
public static class ClassifyCommand
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create() => Create(input: null);

    /// <param name="input">Where <c>--jsonl</c> reads requests; standard input when null.</param>
    internal static Command Create(TextReader? input)
    {
        var method = new Argument<string?>("METHOD") { Description = "HTTP method, e.g. PUT", Arity = ArgumentArity.ZeroOrOne };
        var target = new Argument<string?>("TARGET") { Description = "Request target: path and query, e.g. '/bucket/key?partNumber=3&uploadId=x'", Arity = ArgumentArity.ZeroOrOne };
        var host = new Option<string?>("--host") { Description = "Host header (host[:port]); decides virtual-hosted-style buckets" };
        var headers = new Option<string[]>("--header", "-H") { Description = "A request header 'Name: value' (repeatable), e.g. -H 'x-amz-copy-source: src/key'" };
        var suffixes = new Option<string[]>("--endpoint-suffix") { Description = "Host suffix of an S3-compatible endpoint that takes virtual-hosted-style requests, e.g. minio.local:9000 (repeatable)" };
        var jsonl = new Option<bool>("--jsonl") { Description = "Read requests as JSON lines {\"method\",\"target\",\"host\",\"headers\"} from stdin; write one JSON line per request" };

        var command = new Command("classify", "Show the S3 operation, bucket, key and part number of a request, and the rule that decided it")
        {
            method, target, host, headers, suffixes, jsonl,
        };

        command.Validators.Add(result =>
        {
            bool isJsonl = result.GetValue(jsonl);
            bool hasRequest = result.GetValue(method) is not null && result.GetValue(target) is not null;
            if (isJsonl && (result.GetValue(method) is not null || result.GetValue(target) is not null))
            {
                result.AddError("--jsonl reads requests from stdin; give no METHOD or TARGET");
            }
            else if (!isJsonl && !hasRequest)
            {
                result.AddError("give METHOD and TARGET, or --jsonl");
            }

            foreach (string header in result.GetValue(headers) ?? [])
            {
                if (!TryParseHeader(header, out _, out _))
                {
                    result.AddError($"header '{header}' is not 'Name: value'");
                }
            }
        });

        command.SetAction(parseResult =>
        {
            var classifier = new S3Classifier(parseResult.GetValue(suffixes));
            TextWriter output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(jsonl))
            {
                RunJsonl(input ?? Console.In, output, classifier);
                return 0;
            }

            var headerMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string header in parseResult.GetValue(headers) ?? [])
            {
                _ = TryParseHeader(header, out string name, out string value);
                headerMap[name] = value;
            }

            string requestMethod = parseResult.GetValue(method)!.ToUpperInvariant();
            S3Request request = classifier.Classify(requestMethod, parseResult.GetValue(target)!, parseResult.GetValue(host), headerMap);
            WriteText(output, request);
            return 0;
        });

        return command;
    }

    /// <summary>
    /// Classifies one JSON request per line, in order; blank lines are skipped and a line that is not a valid request
    /// gets an <c>{"error": …}</c> line so the output stays aligned with the requests.
    /// </summary>
    internal static void RunJsonl(TextReader input, TextWriter output, S3Classifier classifier)
    {
        var buffer = new ArrayBufferWriter<byte>();
        int lineNumber = 0;
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            {
                if (TryReadRequest(line, out JsonRequest? request, out string? error))
                {
                    S3Request result = classifier.Classify(request.Method, request.Target, request.Host, request.Headers);
                    WriteJson(writer, result);
                }
                else
                {
                    writer.WriteStartObject();
                    writer.WriteString("error", $"line {lineNumber}: {error}");
                    writer.WriteEndObject();
                }
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
            output.Flush();
        }
    }

    private static bool TryReadRequest(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonRequest? request, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        request = null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "expected a JSON object";
                return false;
            }

            if (!TryGetString(root, "method", required: true, out string? method, out error)
                || !TryGetString(root, "target", required: true, out string? target, out error)
                || !TryGetString(root, "host", required: false, out string? host, out error))
            {
                return false;
            }

            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("headers", out JsonElement headerObject) && headerObject.ValueKind != JsonValueKind.Null)
            {
                if (headerObject.ValueKind != JsonValueKind.Object)
                {
                    error = "\"headers\" must be an object of strings";
                    return false;
                }

                foreach (JsonProperty header in headerObject.EnumerateObject())
                {
                    if (header.Value.ValueKind != JsonValueKind.String)
                    {
                        error = $"header \"{header.Name}\" must be a string";
                        return false;
                    }

                    headers[header.Name.ToLowerInvariant()] = header.Value.GetString()!;
                }
            }

            if (host is null && headers.TryGetValue("host", out string? hostHeader))
            {
                host = hostHeader;
            }

            request = new JsonRequest(method!, target!, host, headers);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
    }

    private static bool TryGetString(JsonElement root, string name, bool required, out string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error = $"\"{name}\" is missing";
                return false;
            }

            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"\"{name}\" must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static void WriteJson(Utf8JsonWriter writer, S3Request request)
    {
        writer.WriteStartObject();
        writer.WriteString("operation", request.Operation);
        writer.WriteString("bucket", request.Bucket);
        writer.WriteString("key", request.Key);
        if (request.PartNumber is int part)
        {
            writer.WriteNumber("part_number", part);
        }
        else
        {
            writer.WriteNull("part_number");
        }

        writer.WriteString("endpoint", request.Endpoint);
        writer.WriteString("rule", request.Rule);
        writer.WriteEndObject();
    }

    private static void WriteText(TextWriter output, S3Request request)
    {
        output.WriteLine($"operation    {request.Operation}");
        output.WriteLine($"bucket       {request.Bucket ?? "-"}");
        output.WriteLine($"key          {request.Key ?? "-"}");
        output.WriteLine($"part_number  {request.PartNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
        output.WriteLine($"endpoint     {request.Endpoint ?? "-"}");
        output.WriteLine($"rule         {request.Rule}");
    }

    private static bool TryParseHeader(string header, out string name, out string value)
    {
        int colon = header.IndexOf(':', StringComparison.Ordinal);
        name = colon > 0 ? header[..colon].Trim().ToLowerInvariant() : string.Empty;
        value = colon > 0 ? header[(colon + 1)..].Trim() : string.Empty;
        return name.Length > 0;
    }

    private sealed record JsonRequest(string Method, string Target, string? Host, IReadOnlyDictionary<string, string> Headers);
}

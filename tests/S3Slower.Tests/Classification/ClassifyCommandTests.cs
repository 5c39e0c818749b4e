using System.CommandLine;
using System.Text.Json;
using S3Slower.Aggregator.Classification;
using S3Slower.Aggregator.Cli;

namespace S3Slower.Tests.Classification;

public sealed class ClassifyCommandTests
{
    [Fact]
    public void Single_request_prints_operation_bucket_key_part_and_rule()
    {
        (int exit, string output, string error) = Invoke(null, "put", "/bkt/big%20file.bin?partNumber=3&uploadId=u1", "--host", "127.0.0.1:9000");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
            ["operation    UploadPart", "bucket       bkt", "key          big file.bin", "part_number  3", "endpoint     127.0.0.1:9000", "rule         PUT object ?partNumber&uploadId"],
            lines);
    }

    [Fact]
    public void Headers_and_endpoint_suffixes_are_used()
    {
        (int exit, string output, _) = Invoke(
            null, "PUT", "/dst", "--host", "bkt.minio.local:9000", "-H", "X-Amz-Copy-Source: src/a", "--endpoint-suffix", "minio.local:9000");

        Assert.Equal(0, exit);
        Assert.Contains("operation    CopyObject", output, StringComparison.Ordinal);
        Assert.Contains("bucket       bkt", output, StringComparison.Ordinal);
        Assert.Contains("rule         PUT object +x-amz-copy-source", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET")]
    [InlineData("GET /b/k -H no-colon")]
    [InlineData("GET /b/k --jsonl")]
    [InlineData("GET /b/k --no-such-flag")]
    public void Bad_arguments_are_a_clear_error(string commandLine)
    {
        (int exit, string output, string error) = Invoke(null, commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("operation", output, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(error), "expected an error message");
    }

    [Fact]
    public void Jsonl_mode_answers_every_line_in_order_with_errors_for_bad_lines()
    {
        string input = string.Join('\n',
            """{"method":"GET","target":"/bkt?list-type=2","host":"s3.amazonaws.com"}""",
            """{"method":"PUT","target":"/k?partNumber=2&uploadId=u","host":"bkt.s3.us-east-1.amazonaws.com","headers":{"X-Amz-Copy-Source":"a/b"}}""",
            "not json at all",
            "",
            """{"method":"GET"}""",
            """{"method":"GET","target":"/b/%C3%A9t%C3%A9","headers":{"host":"127.0.0.1:9000"}}""",
            """[1,2]""",
            """{"method":"GET","target":"/b/k","headers":{"x":1}}""",
            """{"method":"BREW","target":"/pot","host":null}""");

        (int exit, string output, string error) = Invoke(input, "--jsonl");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        JsonElement[] lines = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
        Assert.Equal(8, lines.Length);

        AssertResult(lines[0], "ListObjectsV2", "bkt", null, null, "GET bucket ?list-type=2");
        AssertResult(lines[1], "UploadPartCopy", "bkt", "k", 2, "PUT object ?partNumber&uploadId +x-amz-copy-source");
        Assert.StartsWith("line 3: not JSON", lines[2].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("line 5: \"target\" is missing", lines[3].GetProperty("error").GetString());
        AssertResult(lines[4], "GetObject", "b", "été", null, "GET object");
        Assert.Equal("127.0.0.1:9000", lines[4].GetProperty("endpoint").GetString());
        Assert.Equal("line 7: expected a JSON object", lines[5].GetProperty("error").GetString());
        Assert.Equal("line 8: header \"x\" must be a string", lines[6].GetProperty("error").GetString());
        AssertResult(lines[7], S3Classifier.Unknown, null, null, null, "unsupported method BREW");
    }

    [Fact]
    public void Jsonl_loop_keeps_order_over_many_requests()
    {
        var input = new StringWriter();
        for (int i = 0; i < 1000; i++)
        {
            input.WriteLine($$"""{"method":"PUT","target":"/b/k{{i}}?partNumber={{i + 1}}&uploadId=u"}""");
        }

        var output = new StringWriter();
        ClassifyCommand.RunJsonl(new StringReader(input.ToString()), output, new S3Classifier());

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            AssertResult(JsonDocument.Parse(lines[i]).RootElement, "UploadPart", "b", $"k{i}", i + 1, "PUT object ?partNumber&uploadId");
        }
    }

    private static void AssertResult(JsonElement line, string operation, string? bucket, string? key, int? part, string rule)
    {
        Assert.Equal(operation, line.GetProperty("operation").GetString());
        Assert.Equal(bucket, line.GetProperty("bucket").GetString());
        Assert.Equal(key, line.GetProperty("key").GetString());
        JsonElement partNumber = line.GetProperty("part_number");
        Assert.Equal(part, partNumber.ValueKind == JsonValueKind.Null ? null : partNumber.GetInt32());
        Assert.Equal(rule, line.GetProperty("rule").GetString());
    }

    private static (int Exit, string Output, string Error) Invoke(string? stdin, params string[] args)
    {
        Command command = ClassifyCommand.Create(stdin is null ? TextReader.Null : new StringReader(stdin));
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = command.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}

using S3Slower.EndToEnd.Infrastructure;

namespace S3Slower.EndToEnd;

/// <summary>
/// Each client's scenario on its own against s3rver, over HTTP and HTTPS: it succeeds and its timing file holds the
/// planned requests with statuses, request ids, sizes and durations. No root needed.
/// </summary>
[Collection(ClientsCollection.Name)]
[Trait("Category", "Clients")]
public sealed class ClientScenarioTests(S3rverFixture s3)
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in new[] { "awscli", "boto3", "curl", "node", "dotnet" })
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ScenarioRunsAndRecordsEveryRequest(string clientName, bool tls)
    {
        var client = clientName switch
        {
            "awscli" => TestClient.AwsCli,
            "boto3" => TestClient.Boto3,
            "curl" => TestClient.Curl,
            "node" => TestClient.NodeSdk,
            _ => TestClient.DotnetSdk,
        };
        using var work = new TempDirectory(client.Name);
        var run = await ScenarioRun.RunAsync(client, s3, tls, work.Path);

        var actual = run.Exchanges.Select(e => (e.Operation, e.Method, e.Key, e.PartNumber, e.Status ?? 0, e.ErrorCode)).ToList();
        var expected = ScenarioPlan.Steps.Select(s => ((string?)s.Operation, s.Method, s.Key, s.Part, s.Status, s.ErrorCode)).ToList();
        Assert.Equal(expected, actual);
        foreach (var e in run.Exchanges)
        {
            Assert.False(string.IsNullOrEmpty(e.RequestId), $"{e}: no x-amz-request-id");
            Assert.True(e.DurationUs > 0, $"{e}: no duration");
            Assert.Equal(run.Bucket, e.Bucket);
            if (ScenarioPlan.BodyBytes(e.Operation!, e.Key, e.PartNumber) is long size && e.Status == 200)
            {
                Assert.Equal(size, e.Method == "GET" ? e.ResponseBytes : e.RequestBytes);
            }
        }
    }
}

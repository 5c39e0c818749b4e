using System.Text;
using S3Slower.Aggregator.Classification;

namespace S3Slower.Tests.Classification;

/// <summary>Property-style tests: for many generated buckets and keys, encoding a request and classifying it gives them back.</summary>
public sealed class AddressParsingPropertyTests
{
    private const int Cases = 500;

    // Characters that trouble path parsers: separators, escapes, '+', spaces, non-ASCII in 2-, 3- and 4-byte UTF-8.
    private static readonly string[] s_alphabet =
        ["a", "Z", "0", "/", " ", "+", "%", "%2F", "?", "#", "&", "=", ".", "-", "_", "~", "é", "ü", "中", "文", "😀", "\t", "'", "\"", "//"];

    private readonly S3Classifier _classifier = new(["minio.local:9000"]);

    public static TheoryData<string> Hosts => new()
    {
        "s3.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
        "s3-us-west-2.amazonaws.com",
        "s3.dualstack.eu-central-1.amazonaws.com",
        "s3-accelerate.amazonaws.com",
        "s3.cn-north-1.amazonaws.com.cn",
        "s3-fips.us-gov-west-1.amazonaws.com",
        "minio.local:9000",
    };

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Random_keys_round_trip_virtual_hosted_and_path_style(string endpointHost)
    {
        var random = new Random(endpointHost.Length * 7919);
        for (int i = 0; i < Cases; i++)
        {
            string bucket = RandomBucket(random);
            string key = RandomKey(random);
            string encoded = EncodeKey(key);

            S3Request path = _classifier.Classify("GET", $"/{bucket}/{encoded}", endpointHost, null);
            S3Request hosted = _classifier.Classify("GET", $"/{encoded}?versionId=1", $"{bucket}.{endpointHost}", null);

            Assert.True(
                (path.Operation, path.Bucket, path.Key) == ("GetObject", bucket, key),
                $"path-style /{bucket}/{encoded} on {endpointHost}: {path}");
            Assert.True(
                (hosted.Operation, hosted.Bucket, hosted.Key) == ("GetObject", bucket, key),
                $"virtual-hosted /{encoded} on {bucket}.{endpointHost}: {hosted}");
        }
    }

    [Fact]
    public void Dotted_bucket_names_that_look_like_endpoints_are_kept_whole()
    {
        foreach (string bucket in new[] { "s3", "s3.backup", "my.s3.bucket", "s3-logs.example.com", "a.b.c.d" })
        {
            S3Request result = _classifier.Classify("HEAD", "/", $"{bucket}.s3.us-east-1.amazonaws.com", null);
            Assert.Equal(("HeadBucket", bucket), (result.Operation, result.Bucket));
        }
    }

    [Fact]
    public void Vpc_endpoint_ids_are_not_part_of_the_bucket()
    {
        Assert.Equal("bkt", _classifier.Classify("GET", "/k", "bkt.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", null).Bucket);
        Assert.Equal("bkt", _classifier.Classify("GET", "/bkt/k", "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", null).Bucket);
    }

    [Theory]
    [InlineData("/bkt", null)]
    [InlineData("/bkt/", null)]
    [InlineData("/bkt//", "/")]
    [InlineData("/bkt/dir/", "dir/")]
    [InlineData("/bkt/dir//x/", "dir//x/")]
    [InlineData("/bkt/a%2Fb", "a/b")]
    [InlineData("/bkt/a%2fb", "a/b")]
    [InlineData("/bkt/a+b", "a b")]
    [InlineData("/bkt/a%2Bb", "a+b")]
    [InlineData("/bkt/a%20b", "a b")]
    [InlineData("/bkt/100%", "100%")]
    [InlineData("/bkt/%zz%4", "%zz%4")]
    [InlineData("/bkt/caf%C3%A9", "café")]
    [InlineData("/bkt/café", "café")]
    [InlineData("/bkt/%F0%9F%98%80", "😀")]
    [InlineData("/bkt/%C3", "\uFFFD")]
    public void Path_style_keys_decode_like_s3(string target, string? key)
    {
        S3Request result = _classifier.Classify("GET", target, "127.0.0.1:9000", null);

        Assert.Equal(("bkt", key), (result.Bucket, result.Key));
        Assert.Equal(key is null ? "ListObjects" : "GetObject", result.Operation);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(100_000)]
    public void Very_long_keys_are_decoded_whole(int length)
    {
        string key = string.Concat(Enumerable.Repeat("é/ +", length / 4));

        S3Request result = _classifier.Classify("PUT", "/bkt/" + EncodeKey(key), "bkt2.s3.amazonaws.com", null);

        Assert.Equal(("PutObject", "bkt2", "bkt/" + key), (result.Operation, result.Bucket, result.Key));
    }

    [Fact]
    public void Bucket_only_and_service_requests_have_no_key()
    {
        Assert.Equal((null, null), (_classifier.Classify("GET", "/", "127.0.0.1", null).Bucket, _classifier.Classify("GET", "/", "127.0.0.1", null).Key));
        Assert.Equal(("bkt", (string?)null), (_classifier.Classify("GET", "/", "bkt.s3.amazonaws.com", null).Bucket, _classifier.Classify("GET", "/", "bkt.s3.amazonaws.com", null).Key));
        Assert.Equal(("bkt", (string?)null), (_classifier.Classify("GET", "/?list-type=2", "bkt.minio.local:9000", null).Bucket, _classifier.Classify("GET", "/", "bkt.minio.local:9000", null).Key));
    }

    private static string RandomBucket(Random random)
    {
        const string Chars = "abcdefghijklmnopqrstuvwxyz0123456789-";
        var bucket = new StringBuilder();
        int labels = random.Next(1, 4);
        for (int l = 0; l < labels; l++)
        {
            if (l > 0)
            {
                bucket.Append('.');
            }

            bucket.Append((char)('a' + random.Next(26)));
            int length = random.Next(0, 12);
            for (int i = 0; i < length; i++)
            {
                bucket.Append(Chars[random.Next(Chars.Length)]);
            }
        }

        return bucket.ToString();
    }

    private static string RandomKey(Random random)
    {
        var key = new StringBuilder();
        int length = random.Next(1, 40);
        for (int i = 0; i < length; i++)
        {
            key.Append(s_alphabet[random.Next(s_alphabet.Length)]);
        }

        return key.ToString();
    }

    // What SDKs send: every byte but unreserved characters and '/' percent-encoded as UTF-8.
    private static string EncodeKey(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
}

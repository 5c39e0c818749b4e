using S3Slower.Aggregator.Classification;

namespace S3Slower.Tests.Classification;

public sealed class S3ClassifierTests
{
    private const string Aws = "s3.us-east-1.amazonaws.com";

    private readonly S3Classifier _classifier = new(["minio.local:9000", "storage.example"]);

    [Theory]
    [InlineData("GET", "/", Aws, null, "ListBuckets", null, null)]
    [InlineData("GET", "/?x-id=ListBuckets&max-buckets=10", Aws, null, "ListBuckets", null, null)]
    [InlineData("GET", "/", "s3express-control.us-west-2.amazonaws.com", null, "ListDirectoryBuckets", null, null)]
    [InlineData("PUT", "/bkt", Aws, null, "CreateBucket", "bkt", null)]
    [InlineData("PUT", "/bkt/", Aws, null, "CreateBucket", "bkt", null)]
    [InlineData("HEAD", "/", "bkt.s3.amazonaws.com", null, "HeadBucket", "bkt", null)]
    [InlineData("GET", "/bkt?list-type=2&prefix=&delimiter=%2F&encoding-type=url", Aws, null, "ListObjectsV2", "bkt", null)]
    [InlineData("GET", "/bkt?prefix=a&marker=b", Aws, null, "ListObjects", "bkt", null)]
    [InlineData("GET", "/?versions&prefix=x", "bkt.s3.eu-west-1.amazonaws.com", null, "ListObjectVersions", "bkt", null)]
    [InlineData("GET", "/?uploads", "bkt.s3.eu-west-1.amazonaws.com", null, "ListMultipartUploads", "bkt", null)]
    [InlineData("POST", "/bkt?delete", Aws, null, "DeleteObjects", "bkt", null)]
    [InlineData("POST", "/bkt", Aws, "content-type: multipart/form-data; boundary=x", "PostObject", "bkt", null)]
    [InlineData("GET", "/bkt?analytics&id=a1", Aws, null, "GetBucketAnalyticsConfiguration", "bkt", null)]
    [InlineData("GET", "/bkt?analytics", Aws, null, "ListBucketAnalyticsConfigurations", "bkt", null)]
    [InlineData("GET", "/bkt?metrics&continuation-token=t", Aws, null, "ListBucketMetricsConfigurations", "bkt", null)]
    [InlineData("DELETE", "/bkt?inventory&id=i", Aws, null, "DeleteBucketInventoryConfiguration", "bkt", null)]
    [InlineData("GET", "/bkt?tagging=", Aws, null, "GetBucketTagging", "bkt", null)]
    [InlineData("GET", "/bkt/k?tagging", Aws, null, "GetObjectTagging", "bkt", "k")]
    [InlineData("GET", "/bkt?location", Aws, null, "GetBucketLocation", "bkt", null)]
    [InlineData("GET", "/bkt?policyStatus", Aws, null, "GetBucketPolicyStatus", "bkt", null)]
    [InlineData("GET", "/?session", "demo--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com", null, "CreateSession", "demo--usw2-az1--x-s3", null)]
    [InlineData("GET", "/bkt/a/b.txt", Aws, null, "GetObject", "bkt", "a/b.txt")]
    [InlineData("GET", "/bkt/a?partNumber=2&versionId=v", Aws, null, "GetObject", "bkt", "a")]
    [InlineData("GET", "/bkt/a?response-content-type=text%2Fplain", Aws, null, "GetObject", "bkt", "a")]
    [InlineData("HEAD", "/a", "bkt.s3.amazonaws.com", null, "HeadObject", "bkt", "a")]
    [InlineData("PUT", "/bkt/a", Aws, null, "PutObject", "bkt", "a")]
    [InlineData("PUT", "/bkt/a", Aws, "x-amz-copy-source: /src/b", "CopyObject", "bkt", "a")]
    [InlineData("PUT", "/bkt/a?partNumber=7&uploadId=u", Aws, "x-amz-copy-source: src/b", "UploadPartCopy", "bkt", "a")]
    [InlineData("POST", "/bkt/a?uploads", Aws, null, "CreateMultipartUpload", "bkt", "a")]
    [InlineData("POST", "/bkt/a?uploadId=u", Aws, null, "CompleteMultipartUpload", "bkt", "a")]
    [InlineData("DELETE", "/bkt/a?uploadId=u", Aws, null, "AbortMultipartUpload", "bkt", "a")]
    [InlineData("GET", "/bkt/a?uploadId=u&max-parts=5", Aws, null, "ListParts", "bkt", "a")]
    [InlineData("DELETE", "/bkt/a?versionId=v", Aws, null, "DeleteObject", "bkt", "a")]
    [InlineData("POST", "/bkt/a?select&select-type=2", Aws, null, "SelectObjectContent", "bkt", "a")]
    [InlineData("POST", "/bkt/a?restore&versionId=v", Aws, null, "RestoreObject", "bkt", "a")]
    [InlineData("GET", "/bkt/a?attributes", Aws, null, "GetObjectAttributes", "bkt", "a")]
    [InlineData("PUT", "/bkt/a?legal-hold", Aws, null, "PutObjectLegalHold", "bkt", "a")]
    [InlineData("GET", "/bkt/a?torrent", Aws, null, "GetObjectTorrent", "bkt", "a")]
    [InlineData("GET", "/bkt?object-lock", Aws, null, "GetObjectLockConfiguration", "bkt", null)]
    [InlineData("POST", "/WriteGetObjectResponse", "route-1.s3-object-lambda.us-east-1.amazonaws.com", null, "WriteGetObjectResponse", null, null)]
    [InlineData("POST", "/WriteGetObjectResponse", "127.0.0.1:9000", "x-amz-request-route: r", "WriteGetObjectResponse", null, null)]
    [InlineData("GET", "/k", "ap-1234-123456789012.s3-object-lambda.us-east-1.amazonaws.com", null, "GetObject", "ap-1234-123456789012", "k")]
    [InlineData("GET", "/k", "bkt.minio.local:9000", null, "GetObject", "bkt", "k")]
    [InlineData("GET", "/bkt/k", "minio.local:9000", null, "GetObject", "bkt", "k")]
    [InlineData("GET", "/k", "bkt.storage.example:8443", null, "GetObject", "bkt", "k")]
    [InlineData("GET", "/k", "bkt.minio.local:9001", null, "ListObjects", "k", null)]
    [InlineData("GET", "/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00", Aws, null, "GetObject", "bkt", "k")]
    [InlineData("GET", "/bkt/k?AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D", Aws, null, "GetObject", "bkt", "k")]
    [InlineData("GET", "http://s3.amazonaws.com/bkt/k?acl", null, null, "GetObjectAcl", "bkt", "k")]
    public void Classifies_hand_written_requests(string method, string target, string? host, string? header, string operation, string? bucket, string? key)
    {
        S3Request result = _classifier.Classify(method, target, host, Headers(header));

        Assert.Equal(operation, result.Operation);
        Assert.Equal(bucket, result.Bucket);
        Assert.Equal(key, result.Key);
        Assert.False(string.IsNullOrEmpty(result.Rule));
    }

    [Theory]
    [InlineData("PATCH", "/bkt/k", Aws, null, "unsupported method")]
    [InlineData("get", "/bkt/k", Aws, null, "unsupported method")]
    [InlineData("GET", "*", Aws, null, "not a path")]
    [InlineData("GET", "", Aws, null, "not a path")]
    [InlineData("PUT", "/bkt/k?uploadId=u", Aws, null, "no S3 operation")]
    [InlineData("PUT", "/bkt/k?partNumber=1", Aws, null, "no S3 operation")]
    [InlineData("POST", "/bkt/k?select", Aws, null, "no S3 operation")]
    [InlineData("POST", "/bkt/k?select&select-type=3", Aws, null, "select-type=3")]
    [InlineData("GET", "/bkt?list-type=1", Aws, null, "list-type=1")]
    [InlineData("GET", "/bkt?frobnicate", Aws, null, "unrecognised sub-resource ?frobnicate")]
    [InlineData("GET", "/bkt?acl&tagging", Aws, null, "conflicting sub-resources")]
    [InlineData("PUT", "/", Aws, null, "no S3 operation")]
    [InlineData("HEAD", "/bkt?acl", Aws, null, "no S3 operation")]
    [InlineData("POST", "/bkt", Aws, null, "no S3 operation")]
    [InlineData("POST", "/bkt", Aws, "content-type: application/xml", "no S3 operation")]
    [InlineData("GET", "/bkt/k?torrent", "sts.amazonaws.com", null, "another API")]
    [InlineData("GET", "/v20180820/accesspoint", "123456789012.s3-control.us-east-1.amazonaws.com", null, "another API")]
    [InlineData("GET", "//k", Aws, null, "empty bucket")]
    [InlineData("POST", "/WriteGetObjectResponse", Aws, null, "no S3 operation")]
    public void Reports_unknown_instead_of_guessing(string method, string target, string? host, string? header, string why)
    {
        S3Request result = _classifier.Classify(method, target, host, Headers(header));

        Assert.Equal(S3Classifier.Unknown, result.Operation);
        Assert.Contains(why, result.Rule, StringComparison.Ordinal);
        Assert.Equal(host, result.Endpoint);
    }

    [Fact]
    public void Upload_part_carries_its_number_and_rule()
    {
        S3Request result = _classifier.Classify("PUT", "/bkt/big.bin?partNumber=3&uploadId=abc", "127.0.0.1:9000", null);

        Assert.Equal(new S3Request("UploadPart", "bkt", "big.bin", 3, "127.0.0.1:9000", "PUT object ?partNumber&uploadId"), result);
    }

    [Fact]
    public void Upload_part_copy_rule_names_the_header()
    {
        S3Request result = _classifier.Classify("PUT", "/k?uploadId=abc&partNumber=10000", "bkt.s3.amazonaws.com", Headers("x-amz-copy-source: a/b"));

        Assert.Equal(new S3Request("UploadPartCopy", "bkt", "k", 10000, "bkt.s3.amazonaws.com", "PUT object ?partNumber&uploadId +x-amz-copy-source"), result);
    }

    [Fact]
    public void Empty_copy_source_is_a_plain_put()
    {
        Assert.Equal("PutObject", _classifier.Classify("PUT", "/bkt/k", Aws, Headers("x-amz-copy-source:  ")).Operation);
    }

    [Fact]
    public void Unparsable_part_number_keeps_the_operation_but_no_number()
    {
        S3Request result = _classifier.Classify("PUT", "/bkt/k?partNumber=x&uploadId=u", Aws, null);

        Assert.Equal(("UploadPart", (int?)null), (result.Operation, result.PartNumber));
    }

    [Fact]
    public void Endpoint_is_the_host_as_given_or_the_absolute_uri_authority()
    {
        Assert.Equal("Bkt.S3.AmazonAWS.com:443", _classifier.Classify("GET", "/k", "Bkt.S3.AmazonAWS.com:443", null).Endpoint);
        Assert.Equal("Bkt", _classifier.Classify("GET", "/k", "Bkt.S3.AmazonAWS.com:443", null).Bucket);
        Assert.Null(_classifier.Classify("GET", "/bkt/k", null, null).Endpoint);
        Assert.Equal("10.0.0.1:9000", _classifier.Classify("GET", "http://10.0.0.1:9000/bkt/k", null, null).Endpoint);
        Assert.Equal("ListObjects", _classifier.Classify("GET", "http://10.0.0.1:9000/bkt?prefix=a", null, null).Operation);
        Assert.Equal("ListBuckets", _classifier.Classify("GET", "https://s3.amazonaws.com", null, null).Operation);
    }

    [Fact]
    public void Classifier_without_suffixes_reads_custom_hosts_path_style()
    {
        S3Request result = new S3Classifier().Classify("GET", "/k", "bkt.minio.local:9000", null);

        Assert.Equal(("ListObjects", "k", (string?)null), (result.Operation, result.Bucket, result.Key));
    }

    internal static Dictionary<string, string>? Headers(string? header)
    {
        if (header is null)
        {
            return null;
        }

        int colon = header.IndexOf(':', StringComparison.Ordinal);
        return new Dictionary<string, string>(StringComparer.Ordinal) { [header[..colon].Trim()] = header[(colon + 1)..].Trim() };
    }
}

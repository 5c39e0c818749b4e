using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Slower.DotnetClient;

/// <summary>The same sequence of S3 operations every test client runs, on one bucket.</summary>
internal sealed class Scenario(IAmazonS3 s3, string bucket, ExchangeRecorder recorder)
{
    private const string SmallKey = "dir/small.txt";

    public async Task RunAsync()
    {
        var small = new byte[1040];
        small.AsSpan().Fill((byte)'s');
        var big = RandomNumberGenerator.GetBytes(1024 * 1024);
        byte[][] parts = [RandomNumberGenerator.GetBytes(512 * 1024), RandomNumberGenerator.GetBytes(512 * 1024), RandomNumberGenerator.GetBytes(64 * 1024)];

        await Call("CreateBucket", () => s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }));
        await Call("PutObject", () => s3.PutObjectAsync(Put(SmallKey, small)));
        await Call("PutObject", () => s3.PutObjectAsync(Put("big.bin", big)));
        await Expect(big, await Get("big.bin"), "big.bin");
        await Expect(small, await Get(SmallKey), SmallKey);
        await Call("HeadObject", () => s3.GetObjectMetadataAsync(bucket, SmallKey));
        await Call("ListObjectsV2", () => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await Call("CopyObject", () => s3.CopyObjectAsync(bucket, "big.bin", bucket, "copy.bin"));
        try
        {
            await Get("missing.txt");
            throw new InvalidOperationException("GetObject missing.txt succeeded");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            recorder.Current!.ErrorCode = e.ErrorCode;
        }

        var upload = await Call("CreateMultipartUpload", () => s3.InitiateMultipartUploadAsync(bucket, "mp.bin"));
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var number = i + 1;
            var part = await Call("UploadPart", () => s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket,
                Key = "mp.bin",
                UploadId = upload.UploadId,
                PartNumber = number,
                InputStream = new MemoryStream(parts[i]),
                UseChunkEncoding = false,
            }));
            etags.Add(new PartETag(number, part.ETag));
        }

        await Call("CompleteMultipartUpload", () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "mp.bin",
            UploadId = upload.UploadId,
            PartETags = etags,
        }));
        await Call("DeleteObject", () => s3.DeleteObjectAsync(bucket, "copy.bin"));
        await Call("DeleteObjects", () => s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = SmallKey }, new KeyVersion { Key = "big.bin" }, new KeyVersion { Key = "mp.bin" }],
        }));
        recorder.Flush();
    }

    // s3rver stores aws-chunked (streaming SigV4) bodies undecoded, so uploads are sent with a plain signed payload.
    private PutObjectRequest Put(string key, byte[] data) =>
        new() { BucketName = bucket, Key = key, InputStream = new MemoryStream(data), UseChunkEncoding = false };

    private async Task<byte[]> Get(string key)
    {
        using var response = await Call("GetObject", () => s3.GetObjectAsync(bucket, key));
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private Task<T> Call<T>(string operation, Func<Task<T>> call)
    {
        recorder.NextOperation = operation;
        return call();
    }

    private static Task Expect(byte[] expected, byte[] actual, string key) =>
        expected.AsSpan().SequenceEqual(actual)
            ? Task.CompletedTask
            : throw new InvalidOperationException($"GetObject {key} returned other bytes");
}

"""The fixed S3 scenario, driven by boto3 (one client, keep-alive connections), timed by s3timing.

Environment: S3S_ENDPOINT (http[s]://127.0.0.1:PORT), S3S_BUCKET, S3S_TIMING_FILE, optional S3S_CA_FILE,
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (s3rver's S3RVER/S3RVER by default).
"""
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import s3timing

SMALL = bytes(range(256)) * 4 + b"s3slower" * 2  # 1040 bytes
BIG = os.urandom(1024 * 1024)
PARTS = [os.urandom(512 * 1024), os.urandom(512 * 1024), os.urandom(64 * 1024)]


def main() -> int:
    endpoint = os.environ["S3S_ENDPOINT"]
    bucket = os.environ["S3S_BUCKET"]
    ca_file = os.environ.get("S3S_CA_FILE") or None
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "S3RVER")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "S3RVER")
    config = Config(
        region_name="us-east-1",
        s3={"addressing_style": "path"},
        retries={"total_max_attempts": 1, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=1,
    )
    s3 = boto3.client("s3", endpoint_url=endpoint, config=config, verify=ca_file if ca_file else True)
    s3timing.install(s3.meta.events, "boto3")

    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/small.txt", Body=SMALL)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=BIG)
    body = s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert body == BIG, "GetObject big.bin returned other bytes"
    body = s3.get_object(Bucket=bucket, Key="dir/small.txt")["Body"].read()
    assert body == SMALL, "GetObject dir/small.txt returned other bytes"
    s3.head_object(Bucket=bucket, Key="dir/small.txt")
    s3.list_objects_v2(Bucket=bucket)
    s3.copy_object(Bucket=bucket, Key="copy.bin", CopySource={"Bucket": bucket, "Key": "big.bin"})
    try:
        s3.get_object(Bucket=bucket, Key="missing.txt")
        raise AssertionError("GetObject missing.txt succeeded")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchKey", e.response
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp.bin")["UploadId"]
    etags = []
    for number, data in enumerate(PARTS, start=1):
        etags.append(s3.upload_part(Bucket=bucket, Key="mp.bin", PartNumber=number, UploadId=upload_id, Body=data)["ETag"])
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp.bin", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in enumerate(etags, start=1)]})
    s3.delete_object(Bucket=bucket, Key="copy.bin")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("dir/small.txt", "big.bin", "mp.bin")]})
    s3timing.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

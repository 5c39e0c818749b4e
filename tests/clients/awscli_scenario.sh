#!/usr/bin/env bash
# The fixed S3 scenario, driven by the AWS CLI (`aws s3api`, one process per operation).
# Timing: the CLI loads tests/clients/python/s3timing_awscli.py as a plugin ([plugins] in AWS_CONFIG_FILE), which times
# each HTTP exchange at the socket layer inside the CLI process (microseconds; --debug log timestamps only have
# milliseconds). Every command also runs with --debug; the operation names it logs are appended to
# "$S3S_TIMING_FILE.debug-ops", one per line, so the tests can check them against what S3Slower reports.
# Environment: S3S_ENDPOINT, S3S_BUCKET, S3S_TIMING_FILE, optional S3S_CA_FILE, S3S_AWS (default: aws from PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${S3S_ENDPOINT:?}" "${S3S_BUCKET:?}" "${S3S_TIMING_FILE:?}"
aws_bin="${S3S_AWS:-aws}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/config" <<CFG
[default]
region = us-east-1
retry_mode = standard
max_attempts = 1
request_checksum_calculation = when_required
response_checksum_validation = when_required
s3 =
  addressing_style = path
[plugins]
s3timing = s3timing_awscli
CFG
# v1 imports plugins from PYTHONPATH; v2 only from cli_legacy_plugin_path.
if "$aws_bin" --version 2>&1 | grep -q '^aws-cli/2'; then
  echo "cli_legacy_plugin_path = $here/python" >> "$work/config"
fi
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-S3RVER}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-S3RVER}"
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
export PYTHONPATH="$here/python${PYTHONPATH:+:$PYTHONPATH}"
ca_args=()
[[ -n "${S3S_CA_FILE:-}" ]] && ca_args=(--ca-bundle "$S3S_CA_FILE")
debug_ops="$S3S_TIMING_FILE.debug-ops"
bucket="$S3S_BUCKET"

s3api() {
  local log="$work/debug.log" rc=0
  "$aws_bin" s3api "$@" --endpoint-url "$S3S_ENDPOINT" "${ca_args[@]}" --debug 2> "$log" || rc=$?
  sed -n 's/.*Making request for OperationModel(name=\([A-Za-z0-9]*\)).*/\1/p' "$log" >> "$debug_ops"
  if [[ $rc -ne 0 ]]; then
    if [[ "${1:-}" != "get-object" || "$*" != *missing.txt* ]]; then
      echo "aws s3api $1 failed ($rc):" >&2; tail -n 30 "$log" >&2
    fi
    return $rc
  fi
}

head -c 1040 /dev/urandom > "$work/small.txt"
head -c 1048576 /dev/urandom > "$work/big.bin"
head -c 524288 /dev/urandom > "$work/part1"
head -c 524288 /dev/urandom > "$work/part2"
head -c 65536 /dev/urandom > "$work/part3"

s3api create-bucket --bucket "$bucket" > /dev/null
s3api put-object --bucket "$bucket" --key dir/small.txt --body "$work/small.txt" > /dev/null
s3api put-object --bucket "$bucket" --key big.bin --body "$work/big.bin" > /dev/null
s3api get-object --bucket "$bucket" --key big.bin "$work/big.out" > /dev/null
cmp "$work/big.bin" "$work/big.out"
s3api get-object --bucket "$bucket" --key dir/small.txt "$work/small.out" > /dev/null
cmp "$work/small.txt" "$work/small.out"
s3api head-object --bucket "$bucket" --key dir/small.txt > /dev/null
s3api list-objects-v2 --bucket "$bucket" > /dev/null
s3api copy-object --bucket "$bucket" --key copy.bin --copy-source "$bucket/big.bin" > /dev/null
if s3api get-object --bucket "$bucket" --key missing.txt "$work/missing.out" > /dev/null; then
  echo "GetObject missing.txt succeeded" >&2; exit 1
fi
grep -q NoSuchKey "$work/debug.log" || { echo "GetObject missing.txt: no NoSuchKey" >&2; exit 1; }
upload_id="$(s3api create-multipart-upload --bucket "$bucket" --key mp.bin --query UploadId --output text)"
parts=""
for n in 1 2 3; do
  etag="$(s3api upload-part --bucket "$bucket" --key mp.bin --part-number $n --upload-id "$upload_id" \
    --body "$work/part$n" --query ETag --output text)"
  parts+="${parts:+,}{\"PartNumber\":$n,\"ETag\":$etag}"
done
echo "{\"Parts\":[$parts]}" > "$work/parts.json"
s3api complete-multipart-upload --bucket "$bucket" --key mp.bin --upload-id "$upload_id" \
  --multipart-upload "file://$work/parts.json" > /dev/null
s3api delete-object --bucket "$bucket" --key copy.bin > /dev/null
s3api delete-objects --bucket "$bucket" \
  --delete '{"Objects":[{"Key":"dir/small.txt"},{"Key":"big.bin"},{"Key":"mp.bin"}]}' > /dev/null

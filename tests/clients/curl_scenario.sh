#!/usr/bin/env bash
# The fixed S3 scenario, driven by curl with SigV4 signing (--aws-sigv4), one curl process per request.
# Timing: each curl runs with --trace-ascii --trace-time, whose callback fires right after every send and receive,
# stamped in microseconds: the exchange runs from the first "=> Send header" to the last "<= Recv" line, so the
# connect and TLS handshake are not counted (the tracer does not count them either).
# Environment: S3S_ENDPOINT, S3S_BUCKET, S3S_TIMING_FILE, optional S3S_CA_FILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
set -euo pipefail
: "${S3S_ENDPOINT:?}" "${S3S_BUCKET:?}" "${S3S_TIMING_FILE:?}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
user="${AWS_ACCESS_KEY_ID:-S3RVER}:${AWS_SECRET_ACCESS_KEY:-S3RVER}"
bucket="$S3S_BUCKET"
tls_args=()
[[ -n "${S3S_CA_FILE:-}" ]] && tls_args=(--cacert "$S3S_CA_FILE")
empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# Seconds since midnight of a "HH:MM:SS.uuuuuu" trace stamp, in microseconds.
trace_us() {
  local h m s us
  IFS=':.' read -r h m s us <<< "$1"
  echo $(( ((10#$h * 3600 + 10#$m * 60 + 10#$s) * 1000000) + 10#$us ))
}

# req OPERATION METHOD KEY PART QUERY [BODY_FILE] [extra curl args...]
req() {
  local op="$1" method="$2" key="$3" part="$4" query="$5" body="${6:-}"
  shift 6 || shift $#
  local url="$S3S_ENDPOINT/$bucket${key:+/$key}${query:+?$query}"
  local sha="$empty_sha" body_args=()
  if [[ -n "$body" ]]; then
    sha="$(sha256sum "$body" | cut -d' ' -f1)"
    body_args=(--data-binary "@$body")
  fi
  rm -f "$work/trace" "$work/headers" "$work/out"
  curl -s -X "$method" "$url" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$user" \
    -H "x-amz-content-sha256: $sha" -H "Content-Type:" "${body_args[@]}" "${tls_args[@]}" "$@" \
    --trace-ascii "$work/trace" --trace-time -o "$work/out" \
    -w '%{http_code} %{size_upload} %{size_download}\n' > "$work/w" &
  local pid=$!
  wait "$pid"
  read -r status up down < "$work/w"
  # The response headers, from the trace: writing them to a -D file as they arrive would delay curl's last
  # "<= Recv" stamp by that work (measured at ~200 µs for a HEAD).
  awk '/^[0-9:.]+ <= Recv header/ {h = 1; next} /^[0-9:.]+ (=>|<=|==)/ {h = 0}
       h && /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]: / {sub(/^[0-9a-f]+: /, ""); print}' "$work/trace" > "$work/headers"
  [[ "$method" == HEAD ]] && down=0
  local first last
  first="$(grep -m1 -- '=> Send header' "$work/trace" | cut -d' ' -f1)"
  last="$(grep -- '<= Recv' "$work/trace" | tail -n1 | cut -d' ' -f1)"
  # Without a body the exchange ends with the read that brought the head; curl stamps each header line as it parses
  # them, after that read, so the first header stamp of the final response is the closest to it (the last one
  # trails by the parsing and trace writing, ~200 µs).
  if ! grep -q -- '<= Recv data' "$work/trace"; then
    last="$(awk '/^[0-9:.]+ => Send/ {h = ""} /^[0-9:.]+ <= Recv header/ && h == "" {h = $1} END {print h}' "$work/trace")"
  fi
  local start_us end_us
  start_us="$(trace_us "$first")"; end_us="$(trace_us "$last")"
  if (( end_us < start_us )); then end_us=$((end_us + 86400000000)); fi
  local request_id error_code=null
  request_id="$(tr -d '\r' < "$work/headers" | sed -n 's/^x-amz-request-id: *//Ip' | tail -n1)"
  if (( status >= 300 )) && grep -q '<Code>' "$work/out" 2>/dev/null; then
    error_code="\"$(sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p' "$work/out")\""
  fi
  printf '{"client":"curl","pid":%d,"operation":"%s","method":"%s","bucket":"%s","key":%s,"part_number":%s,"status":%d,"error_code":%s,"request_id":"%s","request_bytes":%d,"response_bytes":%d,"start_unix_ns":%s,"duration_us":%d,"new_connection":true}\n' \
    "$pid" "$op" "$method" "$bucket" "$( [[ -n "$key" ]] && echo "\"$key\"" || echo null)" "${part:-null}" \
    "$status" "$error_code" "$request_id" "$up" "$down" "$(date +%s%N)" "$((end_us - start_us))" >> "$S3S_TIMING_FILE"
  last_status="$status"
}

expect() { [[ "$last_status" == "$1" ]] || { echo "$2: HTTP $last_status, expected $1" >&2; cat "$work/out" >&2; exit 1; }; }

head -c 1040 /dev/urandom > "$work/small.txt"
head -c 1048576 /dev/urandom > "$work/big.bin"
head -c 524288 /dev/urandom > "$work/part1"
head -c 524288 /dev/urandom > "$work/part2"
head -c 65536 /dev/urandom > "$work/part3"

req CreateBucket PUT "" "" ""; expect 200 CreateBucket
req PutObject PUT dir/small.txt "" "" "$work/small.txt"; expect 200 PutObject
req PutObject PUT big.bin "" "" "$work/big.bin"; expect 200 PutObject
req GetObject GET big.bin "" ""; expect 200 GetObject; cmp "$work/big.bin" "$work/out"
req GetObject GET dir/small.txt "" ""; expect 200 GetObject; cmp "$work/small.txt" "$work/out"
req HeadObject HEAD dir/small.txt "" "" "" -I; expect 200 HeadObject
req ListObjectsV2 GET "" "" "list-type=2"; expect 200 ListObjectsV2
req CopyObject PUT copy.bin "" "" "" -H "x-amz-copy-source: /$bucket/big.bin"; expect 200 CopyObject
req GetObject GET missing.txt "" ""; expect 404 GetObject-missing
req CreateMultipartUpload POST mp.bin "" "uploads="; expect 200 CreateMultipartUpload
upload_id="$(sed -n 's/.*<UploadId>\([^<]*\)<\/UploadId>.*/\1/p' "$work/out")"
parts=""
for n in 1 2 3; do
  req UploadPart PUT mp.bin "$n" "partNumber=$n&uploadId=$upload_id" "$work/part$n"; expect 200 UploadPart
  etag="$(tr -d '\r' < "$work/headers" | sed -n 's/^etag: *//Ip')"
  parts+="<Part><PartNumber>$n</PartNumber><ETag>$etag</ETag></Part>"
done
echo "<CompleteMultipartUpload>$parts</CompleteMultipartUpload>" > "$work/complete.xml"
req CompleteMultipartUpload POST mp.bin "" "uploadId=$upload_id" "$work/complete.xml"; expect 200 CompleteMultipartUpload
req DeleteObject DELETE copy.bin "" ""; expect 204 DeleteObject
echo '<Delete><Object><Key>dir/small.txt</Key></Object><Object><Key>big.bin</Key></Object><Object><Key>mp.bin</Key></Object></Delete>' > "$work/delete.xml"
req DeleteObjects POST "" "" "delete=" "$work/delete.xml" -H "Content-MD5: $(openssl md5 -binary "$work/delete.xml" | base64)"
expect 200 DeleteObjects

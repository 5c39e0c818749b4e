#!/usr/bin/env bash
# Installs what the end-to-end test clients need, on a fresh Debian 12 machine, as root. Idempotent.
#   s3rver and the Node AWS SDK (npm ci), boto3/botocore and the AWS CLI, curl, wget, openssl,
#   and the .NET AWS SDK client (dotnet build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

need_apt=()
for tool in curl wget openssl; do
  command -v "$tool" > /dev/null || need_apt+=("$tool")
done
command -v node > /dev/null || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi

curl --version | grep -q 'Features:.*' && curl --help all 2>/dev/null | grep -q -- '--aws-sigv4' \
  || { echo "install.sh: curl lacks --aws-sigv4 (needs curl >= 7.75)" >&2; exit 1; }

# Node: s3rver and @aws-sdk/client-s3 at the locked versions.
if [[ ! -d "$here/node_modules/s3rver" || ! -d "$here/node_modules/@aws-sdk/client-s3" \
      || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Python: boto3/botocore for the boto3 scenario and the awscli plugin (the pyenv python if there is one).
python="$(command -v python3)"
if ! "$python" -c 'import boto3, botocore' 2> /dev/null; then
  "$python" -m pip install --quiet boto3 || "$python" -m pip install --quiet --break-system-packages boto3
fi
if ! command -v aws > /dev/null; then
  "$python" -m pip install --quiet awscli || apt-get install -y -qq awscli
fi

# .NET AWS SDK client.
dotnet build "$repo/tests/clients/dotnet" -c Release -nologo -v quiet

echo "install.sh: test clients ready (node $(node --version), $("$python" -c 'import boto3; print("boto3", boto3.__version__)'), $(aws --version 2>&1 | cut -d' ' -f1))"

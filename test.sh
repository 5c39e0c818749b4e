#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine, builds, and runs every test.
# The eBPF end-to-end tests need root (CI runs as root).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
RESULTS="$ROOT/artifacts/test-results"
TEST_PACKAGES=(systemd prometheus awscli curl wget openssl nodejs npm python3 util-linux)

log() { echo "== test.sh: $*" >&2; }

install_test_packages() {
  local missing=()
  for p in "${TEST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # nodejs/npm/python3 may come from elsewhere than apt on this image; only the commands matter.
  local need=()
  for p in "${missing[@]:-}"; do
    case "$p" in
      nodejs) command -v node >/dev/null || need+=(nodejs) ;;
      npm) command -v npm >/dev/null || need+=(npm) ;;
      python3) command -v python3 >/dev/null || need+=(python3) ;;
      "") ;;
      *) need+=("$p") ;;
    esac
  done
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]}"
  for attempt in 1 2 3; do
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null && return 0
    log "apt-get failed (attempt $attempt), retrying"
    sleep 5
  done
  return 1
}

if [ "$(id -u)" -ne 0 ]; then
  log "run as root: the collector tests load eBPF programs"
  exit 1
fi

./s3slower deps || exit 1
install_test_packages || { log "could not install test packages"; exit 1; }
if [ -x tests/clients/install.sh ]; then
  tests/clients/install.sh || { log "client install failed"; exit 1; }
fi

log "building"
dotnet build S3Slower.sln -c Release -nologo -clp:ErrorsOnly -v:q || { log "build failed"; exit 1; }

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
failed=0
# One project at a time: the end-to-end tests trace the whole host and must not see the unit tests' traffic.
for project in tests/S3Slower.Tests tests/S3Slower.EndToEnd; do
  name="$(basename "$project")"
  log "running $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$RESULTS" 2>&1 | tee "$RESULTS/$name.log" \
    | grep --line-buffered -E 'Passed!|Failed!|\[FAIL\]|Error Message|Assert\.|^\s+at S3Slower|Expected|Actual'
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || failed=1
done

python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
p = f = s = 0
for trx in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(trx).getroot().find("t:ResultSummary/t:Counters", ns)
    p += int(c.get("passed")); f += int(c.get("failed")); s += int(c.get("notExecuted"))
    for r in ET.parse(trx).getroot().iter("{%s}UnitTestResult" % ns["t"]):
        if r.get("outcome") == "Failed":
            msg = r.find("t:Output/t:ErrorInfo/t:Message", ns)
            print(f"FAILED {r.get('testName')}:")
            for line in (msg.text if msg is not None and msg.text else "(no message)").splitlines()[:60]:
                print("    " + line)
print(f"Tests: {p} passed, {f} failed, {s} skipped")
PY

exit $failed

#!/usr/bin/env bash
# Installs S3Slower as two systemd services (collector as root, aggregator as the s3slower user).
# Called by `./s3slower install`; usable on its own:
#   sudo packaging/install.sh [--dry-run] [--destdir DIR] [--no-publish] [--no-start]
# --dry-run     print every step, change nothing (no root needed)
# --destdir DIR install into DIR as if it were / (packaging, tests); never touches the running system
# --no-publish  skip `dotnet publish` (binaries already in place, or units/config only)
# --no-start    install and enable, but do not start or restart anything
set -euo pipefail

readonly PREFIX_LIB=/usr/local/lib/s3slower
readonly UNIT_DIR=/etc/systemd/system
readonly SYSUSERS_FILE=/usr/lib/sysusers.d/s3slower.conf
readonly CONFIG_FILE=/etc/s3slower/s3slower.yaml
readonly STATE_DIR=/var/lib/s3slower
readonly UNITS=(s3slower-aggregator.socket s3slower-aggregator.service s3slower-collector.service)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DRY_RUN=0
DESTDIR=
PUBLISH=1
START=1

usage() { sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
    case $1 in
        --dry-run) DRY_RUN=1 ;;
        --destdir) [[ $# -ge 2 ]] || { echo "install: --destdir needs a directory" >&2; exit 2; }; DESTDIR=$(realpath -m "$2"); shift ;;
        --destdir=*) DESTDIR=$(realpath -m "${1#*=}") ;;
        --no-publish) PUBLISH=0 ;;
        --no-start) START=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

# Every change to the system goes through run, so --dry-run shows exactly what a real run does.
run() {
    printf '+ %s\n' "$*"
    ((DRY_RUN)) || "$@"
}
say() { printf '%s\n' "$*"; }

if ((!DRY_RUN)) && [[ -z $DESTDIR ]] && ((EUID != 0)); then
    echo "install: must run as root (try: sudo $0 $*), or use --dry-run to see the plan" >&2
    exit 1
fi

# systemd manages the host only when it is PID 1; containers and this kind of VM often run something else.
systemd_running() { [[ -z $DESTDIR && -d /run/systemd/system ]]; }

((DRY_RUN)) && say "s3slower install: dry run, nothing will be changed"
[[ -n $DESTDIR ]] && say "s3slower install: installing into $DESTDIR"

# 1. Binaries. Published to a staging dir first, then swapped in, so a running service never sees a half-written tree.
publish() {
    local name=$1 project=$2 stage target
    target="$DESTDIR$PREFIX_LIB/$name"
    if ((DRY_RUN)); then
        stage="<staging>/$name"
    else
        command -v dotnet >/dev/null || { echo "install: dotnet SDK not found; install dotnet 10 first" >&2; exit 1; }
        stage=$(mktemp -d "${TMPDIR:-/tmp}/s3slower-publish.XXXXXX")
        STAGES+=("$stage")
    fi
    run dotnet publish "$REPO_ROOT/$project" -c Release -o "$stage" --nologo -v quiet
    run mkdir -p "$(dirname "$target")"
    run rm -rf "$target.new"
    run cp -a "$stage" "$target.new"
    run chmod 0755 "$target.new"
    if [[ -e $target ]]; then
        run rm -rf "$target.old"
        run mv "$target" "$target.old"
    fi
    run mv "$target.new" "$target"
    run rm -rf "$target.old"
    ((DRY_RUN)) || rm -rf "$stage"
}
STAGES=()
trap 'rm -rf "${STAGES[@]}"' EXIT
if ((PUBLISH)); then
    publish collector collector/S3Slower.Collector.csproj
    publish aggregator aggregator/S3Slower.Aggregator.csproj
fi

# 2. User and group (sysusers.d keeps them declared, so systemd recreates them on an image rebuild).
run install -D -m 0644 "$REPO_ROOT/systemd/s3slower.sysusers" "$DESTDIR$SYSUSERS_FILE"
if command -v systemd-sysusers >/dev/null; then
    if [[ -n $DESTDIR ]]; then
        run mkdir -p "$DESTDIR/etc"
        run systemd-sysusers --root="$DESTDIR" "$(basename "$SYSUSERS_FILE")"
    else
        run systemd-sysusers "$(basename "$SYSUSERS_FILE")"
    fi
elif [[ -z $DESTDIR ]]; then
    # Hosts without systemd-sysusers: the same user by hand.
    getent group s3slower >/dev/null || run groupadd --system s3slower
    getent passwd s3slower >/dev/null || run useradd --system --gid s3slower --home-dir "$STATE_DIR" \
        --no-create-home --shell /usr/sbin/nologin --comment "S3Slower aggregator" s3slower
else
    echo "install: systemd-sysusers is needed to create the s3slower user under --destdir" >&2
    exit 1
fi

# 3. Config: an operator's edits win over a new default.
config="$DESTDIR$CONFIG_FILE"
if [[ -e $config ]]; then
    say "keeping existing $CONFIG_FILE (the new default is $REPO_ROOT/systemd/s3slower.yaml)"
else
    run install -D -m 0640 "$REPO_ROOT/systemd/s3slower.yaml" "$config"
    # The aggregator reads it as s3slower; nobody else needs to.
    if ((DRY_RUN)); then
        run chgrp s3slower "$config"
    else
        gid=$(awk -F: '$1 == "s3slower" { print $3 }' "$DESTDIR/etc/group")
        [[ -n $gid ]] || { echo "install: group s3slower was not created" >&2; exit 1; }
        run chgrp "$gid" "$config"
    fi
fi

# 4. Units.
for unit in "${UNITS[@]}"; do
    run install -D -m 0644 "$REPO_ROOT/systemd/$unit" "$DESTDIR$UNIT_DIR/$unit"
done

# 5. Enable and start.
if systemd_running; then
    run systemctl daemon-reload
    if ((START)); then
        run systemctl enable --now "${UNITS[@]}"
        # An upgrade: the new binaries only run after a restart (the socket unit keeps the path and backlog meanwhile).
        run systemctl try-restart s3slower-aggregator.service s3slower-collector.service
        say "S3Slower is running: systemctl status ${UNITS[*]}; metrics on http://localhost:8090/metrics"
    else
        run systemctl enable "${UNITS[@]}"
    fi
else
    if [[ -n $DESTDIR ]]; then
        run systemctl --root="$DESTDIR" enable "${UNITS[@]}"
    else
        # Offline enable only writes the wants/ symlinks; it works without a running manager.
        run systemctl enable "${UNITS[@]}"
        say ""
        say "systemd is not running as PID 1 here, so nothing was started. On a systemd host run:"
        say "  systemctl daemon-reload && systemctl enable --now ${UNITS[*]}"
        say "Without systemd, run both halves in the foreground instead: sudo ./s3slower run"
    fi
fi
say "s3slower install: done"

#!/usr/bin/env bash
# Removes what packaging/install.sh installed. Called by `./s3slower uninstall`; usable on its own:
#   sudo packaging/uninstall.sh [--dry-run] [--destdir DIR] [--purge]
# --dry-run     print every step, change nothing (no root needed)
# --destdir DIR uninstall from DIR as if it were / (packaging, tests)
# --purge       also delete /var/lib/s3slower (operations.jsonl, exports), the collector's journal
#               (/var/lib/s3slower-collector), the config and the s3slower user
# Without --purge the recorded data and /etc/s3slower/s3slower.yaml stay, so a reinstall continues the same run.
set -euo pipefail

readonly PREFIX_LIB=/usr/local/lib/s3slower
readonly UNIT_DIR=/etc/systemd/system
readonly SYSUSERS_FILE=/usr/lib/sysusers.d/s3slower.conf
readonly CONFIG_DIR=/etc/s3slower
readonly STATE_DIR=/var/lib/s3slower
readonly COLLECTOR_STATE_DIR=/var/lib/s3slower-collector
readonly PIN_DIR=/sys/fs/bpf/s3slower
readonly SOCKET_DIR=/run/s3slower
readonly UNITS=(s3slower-collector.service s3slower-aggregator.service s3slower-aggregator.socket)

DRY_RUN=0
DESTDIR=
PURGE=0

usage() { sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
    case $1 in
        --dry-run) DRY_RUN=1 ;;
        --destdir) [[ $# -ge 2 ]] || { echo "uninstall: --destdir needs a directory" >&2; exit 2; }; DESTDIR=$(realpath -m "$2"); shift ;;
        --destdir=*) DESTDIR=$(realpath -m "${1#*=}") ;;
        --purge) PURGE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "uninstall: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

run() {
    printf '+ %s\n' "$*"
    ((DRY_RUN)) || "$@"
}
say() { printf '%s\n' "$*"; }

if ((!DRY_RUN)) && [[ -z $DESTDIR ]] && ((EUID != 0)); then
    echo "uninstall: must run as root (try: sudo $0 $*), or use --dry-run to see the plan" >&2
    exit 1
fi

systemd_running() { [[ -z $DESTDIR && -d /run/systemd/system ]]; }

((DRY_RUN)) && say "s3slower uninstall: dry run, nothing will be changed"

# 1. Stop first (collector before the socket it writes to), then disable.
if systemd_running; then
    run systemctl disable --now "${UNITS[@]}" || true
elif [[ -n $DESTDIR ]]; then
    run systemctl --root="$DESTDIR" disable "${UNITS[@]}" || true
else
    # No manager to stop anything; offline disable removes the wants/ symlinks.
    run systemctl disable "${UNITS[@]}" || true
fi

# 2. eBPF pins: tracing keeps running from bpffs after the collector exits, so they must go explicitly.
collector="$DESTDIR$PREFIX_LIB/collector/s3slower-collector"
pins="$DESTDIR$PIN_DIR"
if [[ -z $DESTDIR && -x $collector ]]; then
    # The collector knows every pin it made (and detaches links before removing maps).
    run "$collector" --unpin || say "s3slower-collector --unpin failed; removing $PIN_DIR directly"
fi
if ((DRY_RUN)) || [[ -e $pins ]]; then
    run rm -rf "$pins"
fi

# 3. Units, binaries, user declaration.
for unit in "${UNITS[@]}"; do
    run rm -f "$DESTDIR$UNIT_DIR/$unit"
done
systemd_running && run systemctl daemon-reload
systemd_running && run systemctl reset-failed "${UNITS[@]}" 2>/dev/null || true
run rm -rf "$DESTDIR$PREFIX_LIB"
run rm -rf "$DESTDIR$SOCKET_DIR"

# 4. Data, config and user only on --purge.
if ((PURGE)); then
    run rm -rf "$DESTDIR$STATE_DIR" "$DESTDIR$COLLECTOR_STATE_DIR" "$DESTDIR$CONFIG_DIR"
    run rm -f "$DESTDIR$SYSUSERS_FILE"
    if [[ -z $DESTDIR ]] && getent passwd s3slower >/dev/null; then
        run userdel s3slower
    fi
    if [[ -z $DESTDIR ]] && getent group s3slower >/dev/null; then
        run groupdel s3slower
    fi
else
    say "kept $STATE_DIR and $CONFIG_DIR (use --purge to delete them and the s3slower user)"
fi
say "s3slower uninstall: done"

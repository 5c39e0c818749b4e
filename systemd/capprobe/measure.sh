#!/usr/bin/env bash
# Measures the capability bounding set the collector unit needs: runs the probe (what the collector does:
# mount tracefs, load BPF, attach tracepoint + uprobe + uretprobe, ring buffer, mount bpffs and pin in it, read another
# user's /proc/PID/maps) as root under CapabilityBoundingSet-equivalent restrictions and prints which step
# fails when each capability is removed. As root, for an exec'd program the permitted set = the bounding
# set, which is exactly what systemd's CapabilityBoundingSet= does to a root service.
# Everything runs in a private mount namespace, so neither mount reaches the host.
set -euo pipefail
cd "$(dirname "$0")"
make -s >/dev/null
probe=$PWD/.output/capprobe

# A process of another user whose maps the collector must read to place uprobes.
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 &
other=$!
trap 'kill $other 2>/dev/null || true' EXIT

# The set the shipped unit grants, e.g. "CAP_BPF CAP_PERFMON CAP_SYS_ADMIN" -> (bpf perfmon sys_admin).
read -r -a full < <(sed -n 's/^CapabilityBoundingSet=//p' ../s3slower-collector.service | tr 'A-Z' 'a-z' | sed 's/cap_//g')
try() { # $1 label, $2 premount tracefs (0/1), rest: caps
    local label=$1 premount=$2; shift 2
    local set=-all
    for c in "$@"; do set+=",+$c"; done
    local pre=true
    ((premount)) && pre='mount -t tracefs tracefs /sys/kernel/tracing; mount -t bpf bpf /sys/fs/bpf'
    printf '== %s\n' "$label"
    # Both filesystems start unmounted, whatever the host has, so the result does not depend on what ran before.
    unshare -m --propagation private sh -c "umount /sys/kernel/tracing /sys/fs/bpf 2>/dev/null; $pre; exec setpriv --bounding-set=$set --inh-caps=-all -- $probe /usr/lib/x86_64-linux-gnu/libssl.so.3 $other" \
        | grep -v '^ok' || true
}

try "the unit's set: ${full[*]} (tracefs not mounted)" 0 "${full[@]}"
for drop in "${full[@]}"; do
    keep=()
    for c in "${full[@]}"; do [[ $c == "$drop" ]] || keep+=("$c"); done
    try "without $drop (tracefs not mounted)" 0 "${keep[@]}"
done
# Even with tracefs and bpffs already mounted (sys-kernel-tracing.mount, sys-fs-bpf.mount), uprobes still need more
# than these two:
try "bpf perfmon (tracefs mounted)" 1 bpf perfmon
try "bpf perfmon sys_ptrace dac_read_search (tracefs mounted)" 1 bpf perfmon sys_ptrace dac_read_search

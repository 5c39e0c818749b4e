// The kernel half of the capability probe: the same program types, helpers and maps the collector uses
// (syscall tracepoint, uprobe/uretprobe on libssl, ring buffer, hash map, user-memory reads).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

// libbpf 1.1 has no BPF_UPROBE/BPF_URETPROBE; the kprobe macros only unpack pt_regs and work for uprobes too.

#define PEEK_BYTES 8
#define RINGBUF_BYTES (1 << 16)
#define MAX_TRACKED 1024

struct probe_event {
    __u32 pid;
    char peek[PEEK_BYTES];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, MAX_TRACKED);
    __type(key, __u32);
    __type(value, __u64);
} in_flight SEC(".maps");

const volatile __u32 target_tgid = 0;

SEC("tracepoint/syscalls/sys_enter_write")
int probe_write(struct trace_event_raw_sys_enter *ctx)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid != target_tgid)
        return 0;
    struct probe_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = tgid;
    bpf_probe_read_user(e->peek, sizeof(e->peek), (const void *)ctx->args[1]);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("uprobe")
int BPF_KPROBE(probe_ssl_write, void *ssl, const void *buf, int num)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    __u64 now = bpf_ktime_get_ns();
    bpf_map_update_elem(&in_flight, &tgid, &now, BPF_ANY);
    return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(probe_ssl_write_ret, int ret)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    bpf_map_delete_elem(&in_flight, &tgid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";

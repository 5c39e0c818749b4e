// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Close: ends a tracked connection (and a response that runs until the connection closes). */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("tracepoint/syscalls/sys_enter_close")
int s3s_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u32 fd = ctx->args[0];
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!s3s_tgid_marked(tgid))
		return 0;
	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_FD, .id = fd };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	struct s3s_stash st = { .enter_ns = now, .fd = fd };
	s3s_emit(&st, conn, S3S_KIND_CLOSE, 0, 0, 0, now);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

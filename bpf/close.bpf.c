// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Close and exit: end a tracked connection (and a response that runs until the connection closes), or every
 * connection of a process that exited.
 */
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

/*
 * A process that exits (or is killed) never calls close(2): the kernel closes its sockets. Without this, its last
 * requests would wait for the collector's idle timeouts (minutes for one still awaiting its response). Fires for
 * every exiting thread; only the last one of a traced process reports (signal->live has dropped to 0 by then), and
 * the tgid bit is cleared for the pid's next owner.
 */
SEC("tracepoint/sched/sched_process_exit")
int s3s_process_exit(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!s3s_tgid_marked(tgid))
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	s3s_unmark_tgid(tgid);
	__u64 now = bpf_ktime_get_ns();
	struct s3s_stash st = { .enter_ns = now, .fd = S3S_NO_FD };
	struct s3s_conn none = {};
	s3s_emit(&st, &none, S3S_KIND_EXIT, 0, 0, 0, now);
	return 0;
}

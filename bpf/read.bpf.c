// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Reads: only on tracked connections; they time the response and copy its head. */
#include "common.bpf.h"

static __always_inline int on_read_enter(__u32 fd, __u64 buf, __u16 op)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	/* Reads of processes without a traced connection stop here, before any hash lookup. */
	if (!s3s_tgid_marked(tgid))
		return 0;
	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_FD, .id = fd };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn || (conn->flags & S3S_CONN_TLS))
		return 0;
	struct s3s_stash st = { .enter_ns = bpf_ktime_get_ns(), .buf = buf, .fd = fd, .op = op };
	s3s_stash_put(st);
	return 0;
}

static __always_inline int on_read_exit(__s64 ret)
{
	struct s3s_stash *found = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);
	if (!found || !found->enter_ns)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct s3s_stash st = *found;
	found->enter_ns = 0;
	if (ret < 0)
		return 0;

	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_FD, .id = st.fd };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0;
	if (ret == 0) {
		s3s_emit(&st, conn, S3S_KIND_EOF, 0, 0, 0, now);
		return 0;
	}
	if (conn->phase != S3S_PHASE_RESP) {
		conn->phase = S3S_PHASE_RESP;
		conn->resp_seen = 0;
	}
	__u64 copy = conn->resp_seen < S3S_RESP_COPY_MAX ? S3S_RESP_COPY_MAX - conn->resp_seen : 0;
	if (copy > (__u64)ret)
		copy = ret;
	conn->resp_seen += ret;
	s3s_emit(&st, conn, S3S_KIND_READ, 0, ret, copy, now);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int s3s_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return on_read_enter(ctx->args[0], ctx->args[1], S3S_OP_BUF);
}

SEC("tracepoint/syscalls/sys_exit_read")
int s3s_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return on_read_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int s3s_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	return on_read_enter(ctx->args[0], ctx->args[1], S3S_OP_BUF);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int s3s_exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return on_read_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_readv")
int s3s_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	return on_read_enter(ctx->args[0], ctx->args[1], S3S_OP_IOV);
}

SEC("tracepoint/syscalls/sys_exit_readv")
int s3s_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return on_read_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int s3s_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	return on_read_enter(ctx->args[0], ctx->args[1], S3S_OP_MSG);
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int s3s_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	return on_read_exit(ctx->ret);
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Writes: a socket becomes tracked when a write starts with an HTTP method; its writes time the request. */
#include "common.bpf.h"
#include "tls.h"

static __always_inline int on_write_enter(__u32 fd, __u64 buf, __u16 op)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!s3s_process_wanted(tgid))
		return 0;
	/* Pipes, files, terminals: most writes on a host end here. Requests and TLS ciphertext go to sockets only. */
	if (!s3s_fd_is_socket(fd))
		return 0;
	/* Ciphertext written inside SSL_write & co.: it tells the TLS stream its socket and is never a request. */
	if (s3s_tls_sandwich(tid, fd))
		return 0;

	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_FD, .id = fd };
	/* A process that never had a traced connection has none to look up. */
	struct s3s_conn *conn = s3s_tgid_marked(tgid) ? bpf_map_lookup_elem(&conns, &key) : NULL;
	__u16 flags = 0;
	if (conn && (conn->flags & S3S_CONN_TLS))
		return 0;
	/* Only the first bytes of a write that may start a request are looked at. */
	if (!conn || conn->phase != S3S_PHASE_REQ) {
		__u64 head = 0, base = 0, len = 0;
		if (s3s_first_iov(op, buf, &base, &len) && len >= 4 &&
		    !bpf_probe_read_user(&head, sizeof(head), (void *)base) && s3s_is_method(head))
			flags |= S3S_REC_METHOD;
		if (!conn) {
			if (!(flags & S3S_REC_METHOD))
				return 0;
			flags |= S3S_REC_NEW_CONN;
		}
	}

	struct s3s_stash st = { .enter_ns = bpf_ktime_get_ns(), .buf = buf, .fd = fd, .op = op, .flags = flags };
	s3s_stash_put(st);
	return 0;
}

static __always_inline int on_write_exit(__s64 ret)
{
	struct s3s_stash *found = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, 0);
	if (!found || !found->enter_ns)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct s3s_stash st = *found;
	found->enter_ns = 0;
	if (ret <= 0)
		return 0;

	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_FD, .id = st.fd };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn) {
		if (!(st.flags & S3S_REC_NEW_CONN))
			return 0;
		struct s3s_conn fresh = { .conn_id = s3s_new_conn_id(), .phase = S3S_PHASE_REQ };
		struct socket *sock = s3s_socket_of(st.fd);
		if (sock)
			s3s_read_peer(sock, &fresh.peer);
		bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY);
		s3s_mark_tgid(tgid);
		conn = bpf_map_lookup_elem(&conns, &key);
		if (!conn)
			return 0;
	} else if ((st.flags & S3S_REC_METHOD) && conn->phase != S3S_PHASE_REQ) {
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = 0;
	} else if (conn->phase != S3S_PHASE_REQ) {
		/* The body after an interim 100 Continue: counted, never copied. */
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = S3S_REQ_COPY_MAX;
	}

	__u64 copy = conn->req_seen < S3S_REQ_COPY_MAX ? S3S_REQ_COPY_MAX - conn->req_seen : 0;
	if (copy > (__u64)ret)
		copy = ret;
	conn->req_seen += ret;
	s3s_emit(&st, conn, S3S_KIND_WRITE, st.flags, ret, copy, now);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int s3s_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx->args[0], ctx->args[1], S3S_OP_BUF);
}

SEC("tracepoint/syscalls/sys_exit_write")
int s3s_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return on_write_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int s3s_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx->args[0], ctx->args[1], S3S_OP_BUF);
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int s3s_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	return on_write_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int s3s_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx->args[0], ctx->args[1], S3S_OP_IOV);
}

SEC("tracepoint/syscalls/sys_exit_writev")
int s3s_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return on_write_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int s3s_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return on_write_enter(ctx->args[0], ctx->args[1], S3S_OP_MSG);
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int s3s_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	return on_write_exit(ctx->ret);
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Receives: only on tracked connections; they time the response and copy its head, never its object data. */
#include "common.bpf.h"

SEC("tp_btf/sock_recv_length")
int BPF_PROG(s3s_recv, struct sock *sk, int ret, int flags)
{
	/*
	 * A peek leaves the bytes for the read that follows; errors moved nothing. Tested first, on the arguments alone:
	 * every event-driven reader ends each burst with an EAGAIN.
	 */
	if (ret < 0 || (flags & S3S_MSG_PEEK))
		return 0;
	/* Receives of processes without a traced connection stop here, before any hash lookup. */
	if (!s3s_tgid_marked(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if (!s3s_is_tcp(sk->__sk_common.skc_family, sk->sk_protocol))
		return 0;
	struct s3s_conn_key key = { .kind = S3S_CONN_KEY_SOCK, .id = (__u64)sk };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn || (conn->flags & S3S_CONN_TLS))
		return 0;
	__u64 now = bpf_ktime_get_ns();
	struct s3s_io io = { .enter_ns = now };
	s3s_syscall_io(&io, false);
	__s64 got = ret;
	if (got == 0) {
		s3s_emit_bare(&io, conn, S3S_KIND_EOF, 0, now);
		return 0;
	}
	if (conn->phase != S3S_PHASE_RESP) {
		conn->phase = S3S_PHASE_RESP;
		conn->resp_seen = 0;
		conn->resp_scan = s3s_response_scan(conn->req_scan);
	}
	__u64 copy = s3s_copy_budget(conn->resp_seen, S3S_RESP_COPY_MAX, conn->resp_scan, got);
	conn->resp_seen += got;
	s3s_emit(&io, conn, S3S_KIND_READ, 0, got, copy, now);
	return 0;
}

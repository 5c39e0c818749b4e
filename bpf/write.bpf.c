// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Sends: a TCP socket becomes tracked when a send starts with an HTTP method; its sends time the request.
 * Socket tracepoints, not syscall ones: any syscall tracepoint puts every syscall of every process on the slow path,
 * these fire only for socket I/O, so a process that never touches TCP pays nothing. Attached as BTF raw tracepoints
 * (tp_btf): no perf record is built per event, and the struct sock is read directly.
 */
#include "common.bpf.h"
#include "tls.h"

/*
 * The first chunk of a TCP send: its time is when the request's first byte was handed to the kernel. A send that
 * blocks for buffer space ends much later (sock_send_length), and the upload phase must include that wait.
 */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(s3s_send_start, const struct sock *sk)
{
	if (!s3s_process_wanted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	struct s3s_sock_note *note = bpf_sk_storage_get(&sock_notes, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (note && !note->flags && !note->send_enter_ns)
		note->send_enter_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(s3s_send, struct sock *sock, int ret)
{
	struct s3s_sock_note *note = bpf_sk_storage_get(&sock_notes, sock, 0, 0);
	__u32 noted = note ? note->flags : 0;
	if (noted & S3S_SOCK_SERVER)
		return 0;
	if (noted & S3S_SOCK_NOT_HTTP) {
		/* A TLS handshake's socket is noted too; its ciphertext still tells the TLS stream its socket. */
		if (ret > 0)
			s3s_tls_sandwich(bpf_get_current_pid_tgid(), (__u64)sock);
		return 0;
	}
	__u64 now = bpf_ktime_get_ns();
	__u64 enter_ns = now;
	/* Taken whatever the outcome: a failed send must not leave its start to the next one. */
	if (note && note->send_enter_ns) {
		enter_ns = note->send_enter_ns;
		note->send_enter_ns = 0;
	}
	if (ret <= 0 || !s3s_is_tcp(sock->__sk_common.skc_family, sock->sk_protocol))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!s3s_process_wanted(tgid))
		return 0;
	__u64 sk = (__u64)sock;
	/* Ciphertext sent inside SSL_write & co.: it tells the TLS stream its socket and is never a request. */
	if (s3s_tls_sandwich(id, sk))
		return 0;

	struct s3s_conn_key key = { .kind = S3S_CONN_KEY_SOCK, .id = sk };
	/* A process that never had a traced connection has none to look up. */
	struct s3s_conn *conn = s3s_tgid_marked(tgid) ? bpf_map_lookup_elem(&conns, &key) : NULL;
	if (conn && conn->tgid != tgid)
		conn = NULL;
	if (conn && (conn->flags & S3S_CONN_TLS))
		return 0;
	struct s3s_io io = { .enter_ns = enter_ns };
	s3s_syscall_io(&io, true);
	__u32 zero = 0;
	struct s3s_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	__s64 sent = ret;
	__u16 flags = 0;
	/* A head is read from the caller's buffer once: where it was looked at, the copy is what the record carries. */
	__u32 copied = 0;
	bool have_copy = false;
	/* Only the first bytes of a send that may start a request are looked at. */
	if (!conn) {
		__u64 head = 0, base = 0, len = 0;
		bool have_head = s3s_first_iov(io.op, io.buf, &base, &len) && len >= 4 &&
				 !bpf_probe_read_user(&head, sizeof(head), (void *)base);
		if (!have_head || !s3s_is_method(head)) {
			/*
			 * No request starts here; note the socket if none ever will. A connection's first bytes count only
			 * when at least eight were read, so that a method split over two sends is not taken for another
			 * protocol.
			 */
			if (have_head && s3s_is_status_line(head))
				s3s_note_sock(sock, S3S_SOCK_SERVER);
			else if (have_head && len >= sizeof(head) && (__u64)ret >= sizeof(head) &&
				 !s3s_is_proxy_connect(head) && s3s_first_bytes(sock, ret))
				s3s_note_sock(sock, S3S_SOCK_NOT_HTTP);
			return 0;
		}
		copied = s3s_copy_data(s, &io, sent);
		have_copy = true;
		/* A head that could not be read (not resident) is tracked all the same: the requests after it may be S3. */
		if (copied && !s3s_head_wanted(s, copied))
			return 0;
		flags |= S3S_REC_METHOD | S3S_REC_NEW_CONN;
		conn = s3s_start_conn(&key, tgid, 0, sock);
		if (!conn)
			return 0;
		conn->req_scan = s3s_method_scan(head);
	} else if (conn->phase != S3S_PHASE_REQ) {
		/* Between requests of a kept-alive connection a send nearly always starts the next one: copied at once. */
		copied = s3s_copy_data(s, &io, sent);
		have_copy = true;
		__u64 head = 0;
		__builtin_memcpy(&head, s->data, sizeof(head));
		/* Scratch bytes past the copy belong to an earlier record. */
		if (copied < sizeof(head))
			head &= (1ULL << (copied * 8)) - 1;
		conn->phase = S3S_PHASE_REQ;
		if (copied >= 4 && s3s_is_method(head)) {
			flags |= S3S_REC_METHOD;
			conn->req_seen = 0;
			conn->req_scan = s3s_method_scan(head);
		} else {
			/* The body after an interim 100 Continue: counted, never copied. */
			conn->req_seen = S3S_REQ_COPY_MAX;
			conn->req_scan |= S3S_SCAN_DONE;
			copied = 0;
		}
	}

	__u64 copy = s3s_copy_budget(conn->req_seen, S3S_REQ_COPY_MAX, conn->req_scan, sent);
	conn->req_seen += sent;
	if (!have_copy)
		copied = s3s_copy_data(s, &io, copy);
	s3s_submit(s, &io, conn, S3S_KIND_WRITE, flags, sent, copied, now);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Close and exit: end a tracked connection (and a response that runs until the connection closes), or every
 * connection of a process that exited.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

static __always_inline void end_conn(const struct sock *sk)
{
	struct s3s_conn_key key = { .kind = S3S_CONN_KEY_SOCK, .id = (__u64)sk };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return;
	__u64 now = bpf_ktime_get_ns();
	struct s3s_io io = { .enter_ns = now, .fd = S3S_NO_FD };
	s3s_emit_bare(&io, conn, S3S_KIND_CLOSE, 0, now);
	bpf_map_delete_elem(&conns, &key);
}

/*
 * The application closed the socket: FIN_WAIT1 with both directions shut (shutdown(SHUT_WR) alone enters FIN_WAIT1
 * too, and its response is still to be read) or LAST_ACK, in the application's own context.
 * A CLOSE state is not an end: a half-closed socket reaches it in softirq when the peer's FIN arrives, before the
 * application has read the response; the socket's destruction (below) ends those.
 * SYN_SENT: the kernel skips a program that fires while it is already running on the same CPU (a state change in
 * softirq on top of one in process context), so a connection that starts on a struct sock still in the map ends the
 * stale entry.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(s3s_sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_SYN_SENT)
		return 0;
	if (sk->sk_protocol != S3S_IPPROTO_TCP)
		return 0;
	if (newstate == TCP_FIN_WAIT1 && !(sk->sk_shutdown & S3S_RCV_SHUTDOWN))
		return 0;
	end_conn(sk);
	return 0;
}

/*
 * The socket is freed (closed by the application, or reset and then closed): its entry goes before the kernel can
 * hand the same struct sock to a new connection.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(s3s_sock_destroy, struct sock *sk)
{
	end_conn(sk);
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
	struct task_struct *task = bpf_get_current_task_btf();
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	/* The pid's next owner starts without this process's TLS bit, whether or not it had a traced connection. */
	s3s_bit_clear(&tls_tgid_bits, tgid);
	if (!s3s_tgid_marked(tgid))
		return 0;
	s3s_unmark_tgid(tgid);
	__u64 now = bpf_ktime_get_ns();
	struct s3s_io io = { .enter_ns = now, .fd = S3S_NO_FD };
	struct s3s_conn none = {};
	s3s_emit_bare(&io, &none, S3S_KIND_EXIT, 0, now);
	return 0;
}

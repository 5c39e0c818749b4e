// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The bench's reference tracers, on the collector's own send and receive hooks. "bare_empty_*" return at once: with
 * the kernel's BPF statistics on, what they measure per run is the statistics' own cost, which the bench takes off
 * the collector's figure. "bare_*" are the least a tracer that reports each request can do: time a client's first
 * send after a response and emit one fixed-size record at the response's first receive, copying no byte of either.
 * The bench loads one pair or the other, never both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define BARE_RING_BYTES (16 << 20)

enum bare_role {
	BARE_ROLE_UNSEEN = 0,
	BARE_ROLE_CLIENT = 1, /* sent before it received anything: it asks */
	BARE_ROLE_SERVER = 2, /* received first: it answers, and is not followed */
};

struct bare_conn {
	__u64 sent_ns;
	__u32 role;
};

struct bare_record {
	__u64 socket;
	__u64 sent_ns;
	__u64 received_ns;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bare_conn);
} bare_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BARE_RING_BYTES);
} bare_records SEC(".maps");

SEC("tp_btf/sock_send_length")
int BPF_PROG(bare_empty_send, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(bare_empty_recv, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(bare_send, struct sock *sk, int ret, int flags)
{
	if (ret <= 0 || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	struct bare_conn *conn = bpf_sk_storage_get(&bare_conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!conn)
		return 0;
	if (conn->role == BARE_ROLE_UNSEEN) {
		/* This send's bytes are already counted; a client's first send finds nothing received before it. */
		conn->role = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received) == 0 ? BARE_ROLE_CLIENT : BARE_ROLE_SERVER;
	}
	if (conn->role == BARE_ROLE_CLIENT && !conn->sent_ns)
		conn->sent_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(bare_recv, struct sock *sk, int ret, int flags)
{
	if (ret <= 0)
		return 0;
	struct bare_conn *conn = bpf_sk_storage_get(&bare_conns, sk, 0, 0);
	if (!conn || conn->role != BARE_ROLE_CLIENT || !conn->sent_ns)
		return 0;
	struct bare_record record = {
		.socket = (__u64)sk,
		.sent_ns = conn->sent_ns,
		.received_ns = bpf_ktime_get_ns(),
		.bytes = ret,
	};
	conn->sent_ns = 0;
	/* The reader drains on a timer, as the collector does: no wake-up per record. */
	bpf_ringbuf_output(&bare_records, &record, sizeof(record), BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Maps and helpers shared by every program; maps are __weak so the linked object holds one copy of each. */
#ifndef S3SLOWER_COMMON_BPF_H
#define S3SLOWER_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "s3slower.h"

#define S3S_AF_INET 2
#define S3S_AF_INET6 10
#define S3S_IPPROTO_TCP 6
#define S3S_MSG_PEEK 0x2
#define S3S_RCV_SHUTDOWN 0x1 /* sk_shutdown bit: set with SEND_SHUTDOWN by close(2), alone by the peer's FIN */

/*
 * Syscall numbers of the calls whose buffer a socket program can read from the task's saved user registers. The
 * socket tracepoints only carry the socket and the result; the data is still in the caller's buffer at that point.
 */
#if defined(__TARGET_ARCH_x86)
#define S3S_NR_READ 0
#define S3S_NR_WRITE 1
#define S3S_NR_READV 19
#define S3S_NR_WRITEV 20
#define S3S_NR_SENDTO 44
#define S3S_NR_RECVFROM 45
#define S3S_NR_SENDMSG 46
#define S3S_NR_RECVMSG 47
#define S3S_NR_MMAP 9
#define S3S_REGS_NR(regs) ((regs)->orig_ax)
#define S3S_REGS_ARG1(regs) ((regs)->di)
#define S3S_REGS_ARG2(regs) ((regs)->si)
#define S3S_REGS_MMAP_FLAGS(regs) ((regs)->r10)
#define S3S_REGS_MMAP_FD(regs) ((regs)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define S3S_NR_READ 63
#define S3S_NR_WRITE 64
#define S3S_NR_READV 65
#define S3S_NR_WRITEV 66
#define S3S_NR_SENDTO 206
#define S3S_NR_RECVFROM 207
#define S3S_NR_SENDMSG 211
#define S3S_NR_RECVMSG 212
#define S3S_NR_MMAP 222
#define S3S_REGS_NR(regs) ((regs)->syscallno)
#define S3S_REGS_ARG1(regs) ((regs)->orig_x0)
#define S3S_REGS_ARG2(regs) ((regs)->regs[1])
#define S3S_REGS_MMAP_FLAGS(regs) ((regs)->regs[3])
#define S3S_REGS_MMAP_FD(regs) ((regs)->regs[4])
#else
#error "s3slower's BPF programs know the syscall registers of x86_64 and arm64 only"
#endif

_Static_assert(sizeof(struct s3s_record) == 96, "record layout is mirrored in collector/Bpf/KernelRecord.cs");

/* Where the bytes of one send or receive are and when it started. */
struct s3s_io {
	__u64 enter_ns;
	__u64 buf; /* buffer, iovec array or user_msghdr, per `op` */
	__u32 fd;
	__u16 op;
	__u16 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the collector before load */
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* connections of exited processes age out */
	__uint(max_entries, S3S_MAX_CONNS);
	__type(key, struct s3s_conn_key);
	__type(value, struct s3s_conn);
} conns SEC(".maps") __weak;

/*
 * What is known about a socket for its whole life, kept with the socket (freed with it): a pointer load, no hash.
 * Sockets that can never carry a request stop at their note instead of paying, on every send, for the send start and a
 * read of the caller's buffer: a server's (it sent a status line), and a connection whose first bytes were not an
 * HTTP method (a database, a message broker, a TLS handshake).
 */
#define S3S_SOCK_SERVER (1u << 0)
#define S3S_SOCK_NOT_HTTP (1u << 1)

struct s3s_sock_note {
	__u32 flags;
	__u32 _pad;
	/*
	 * When the send in progress on the socket began: set by its first tcp_sendmsg_locked, taken when it ends
	 * (sock_send_length). Kept here rather than per thread, so a send's end finds it in the note it reads anyway.
	 */
	__u64 send_enter_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct s3s_sock_note);
} sock_notes SEC(".maps") __weak;

static __always_inline void s3s_note_sock(const struct sock *sk, __u32 flags)
{
	struct s3s_sock_note *note = bpf_sk_storage_get(&sock_notes, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (note)
		note->flags |= flags;
}

/*
 * True when a send of `sent` bytes that just completed carried the first bytes the application wrote on the
 * connection. Bytes written so far are those acknowledged plus those still queued or in flight; an active open's
 * count includes its SYN, hence one more. (A passive socket with exactly one byte written before also passes: it is a
 * server's, which never carries a request either.)
 */
static __always_inline bool s3s_first_bytes(struct sock *sk, __u64 sent)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return false;
	__u64 written = tp->bytes_acked + (__u32)(tp->write_seq - tp->snd_una);
	return written == sent || written == sent + 1;
}

/* Failed ring-buffer reservations, summed over CPUs by the collector. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps") __weak;

/* Where a head ends in the scratch's data (s3s_keep_head). */
struct s3s_head_scan {
	__u32 state; /* S3S_SCAN_* of the direction */
	__u32 start; /* offset where the head being scanned began: after an interim response's head, the next one */
	__u32 end;   /* out: offset just past the blank line that ends the head; 0 while it goes on */
	__u32 _pad;
};

/* Builds a record before it is copied into the ring buffer (too large for the stack). */
struct s3s_scratch {
	struct s3s_record rec;
	__u8 data[S3S_DATA_CAP];
	/*
	 * In map memory rather than on the stack: the verifier does not track values there, so the scan's loop
	 * converges instead of being explored state by state.
	 */
	struct s3s_head_scan scan;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct s3s_scratch);
} scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct s3s_config);
} s3s_cfg SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} next_conn_id SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, S3S_MAX_FILTER);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, S3S_MAX_FILTER);
	__type(key, char[S3S_COMM_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps") __weak;

/*
 * One bit per tgid: set once the process had a traced connection. Reads of every other process stop at this bit: an
 * array lookup the verifier inlines, no hash. A reused pid only costs its new owner the full path (a false positive).
 */
#define S3S_TGID_BITS (1u << 22) /* PID_MAX_LIMIT */
struct s3s_tgid_bitmap {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, S3S_TGID_BITS / 64);
	__type(key, __u32);
	__type(value, __u64);
};

struct s3s_tgid_bitmap tgid_bits SEC(".maps") __weak;

/*
 * One bit per tgid: set once the process entered a TLS library call. Only such a process can have a send inside one
 * (the TLS "sandwich"), so every other process's send skips the hash lookup of the thread's TLS call.
 */
struct s3s_tgid_bitmap tls_tgid_bits SEC(".maps") __weak;

static __always_inline bool s3s_bit_test(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(bitmap, &word);
	return bits && (*bits & (1ULL << (tgid % 64)));
}

static __always_inline void s3s_bit_set(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(bitmap, &word);
	if (bits && !(*bits & (1ULL << (tgid % 64))))
		__sync_fetch_and_or(bits, 1ULL << (tgid % 64));
}

static __always_inline void s3s_bit_clear(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(bitmap, &word);
	if (bits && (*bits & (1ULL << (tgid % 64))))
		__sync_fetch_and_and(bits, ~(1ULL << (tgid % 64)));
}

static __always_inline bool s3s_tgid_marked(__u32 tgid)
{
	return s3s_bit_test(&tgid_bits, tgid);
}

static __always_inline void s3s_mark_tgid(__u32 tgid)
{
	s3s_bit_set(&tgid_bits, tgid);
}

static __always_inline void s3s_unmark_tgid(__u32 tgid)
{
	s3s_bit_clear(&tgid_bits, tgid);
}

/*
 * The name of the current process, i.e. of its main thread. The calling thread's own name is often a runtime's
 * worker (".NET TP Worker", "pool-1-thread-3", "tokio-runtime-w"), while a user asks, and filters by, which process.
 */
static __always_inline void s3s_process_comm(char (*comm)[S3S_COMM_LEN])
{
	struct task_struct *task = bpf_get_current_task_btf();
	BPF_CORE_READ_INTO(comm, task, group_leader, comm);
}

/* True when the current process may be traced at all: the cheapest test, done first. */
static __always_inline bool s3s_process_wanted(__u32 tgid)
{
	__u32 zero = 0;
	struct s3s_config *cfg = bpf_map_lookup_elem(&s3s_cfg, &zero);
	if (!cfg)
		return false;
	if (tgid == cfg->self_tgid)
		return false;
	if (cfg->filter_pids && !bpf_map_lookup_elem(&pid_filter, &tgid))
		return false;
	if (cfg->filter_comms) {
		char comm[S3S_COMM_LEN] = {};
		s3s_process_comm(&comm);
		if (!bpf_map_lookup_elem(&comm_filter, comm))
			return false;
	}
	return true;
}

static __always_inline struct file *s3s_file_of(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *file = NULL;
	if (fd >= max)
		return NULL;
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline void s3s_read_peer(const struct sock *sk, struct s3s_peer *peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	peer->family = family;
	peer->port = __builtin_bswap16(dport);
	if (family == S3S_AF_INET) {
		__u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(peer->addr, &daddr, sizeof(daddr));
	} else if (family == S3S_AF_INET6) {
		BPF_CORE_READ_INTO(&peer->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* Only TCP over IPv4/IPv6 carries HTTP to S3: every other socket stops at this test. */
static __always_inline bool s3s_is_tcp(__u16 family, __u16 protocol)
{
	return protocol == S3S_IPPROTO_TCP && (family == S3S_AF_INET || family == S3S_AF_INET6);
}

/*
 * The buffer of the syscall the current socket send or receive came from, read from the saved user registers. Any
 * other path (sendfile, io_uring, recvmmsg, a kernel thread) leaves `op` at S3S_OP_NONE: the bytes are still counted.
 */
static __always_inline void s3s_syscall_io(struct s3s_io *io, bool send)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = S3S_REGS_NR(regs);
	io->fd = S3S_REGS_ARG1(regs);
	io->buf = S3S_REGS_ARG2(regs);
	if (send)
		io->op = nr == S3S_NR_WRITE || nr == S3S_NR_SENDTO ? S3S_OP_BUF :
			 nr == S3S_NR_WRITEV ? S3S_OP_IOV :
			 nr == S3S_NR_SENDMSG ? S3S_OP_MSG : S3S_OP_NONE;
	else
		io->op = nr == S3S_NR_READ || nr == S3S_NR_RECVFROM ? S3S_OP_BUF :
			 nr == S3S_NR_READV ? S3S_OP_IOV :
			 nr == S3S_NR_RECVMSG ? S3S_OP_MSG : S3S_OP_NONE;
	if (io->op == S3S_OP_NONE)
		io->fd = S3S_NO_FD;
}

/* Little-endian word of the first bytes of a method and its space, compared in one step. */
#define S3S_W4(a, b, c, d) ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24)
#define S3S_W8(a, b, c, d, e, f, g, h) (S3S_W4(a, b, c, d) | S3S_W4(e, f, g, h) << 32)
#define S3S_MASK(n) ((n) == 8 ? ~0ULL : ((1ULL << ((n) * 8)) - 1))

/* An HTTP/1.x request starts with a method and a space; S3 uses only these. */
static __always_inline bool s3s_is_method(__u64 w)
{
	return (w & S3S_MASK(4)) == S3S_W4('G', 'E', 'T', ' ') ||
	       (w & S3S_MASK(4)) == S3S_W4('P', 'U', 'T', ' ') ||
	       (w & S3S_MASK(5)) == S3S_W8('P', 'O', 'S', 'T', ' ', 0, 0, 0) ||
	       (w & S3S_MASK(5)) == S3S_W8('H', 'E', 'A', 'D', ' ', 0, 0, 0) ||
	       (w & S3S_MASK(7)) == S3S_W8('D', 'E', 'L', 'E', 'T', 'E', ' ', 0) ||
	       (w & S3S_MASK(6)) == S3S_W8('P', 'A', 'T', 'C', 'H', ' ', 0, 0) ||
	       w == S3S_W8('O', 'P', 'T', 'I', 'O', 'N', 'S', ' ');
}

/* The scan state a request starting with `w` begins with: which of its heads may be followed by object data. */
static __always_inline __u32 s3s_method_scan(__u64 w)
{
	if ((w & S3S_MASK(4)) == S3S_W4('G', 'E', 'T', ' '))
		return S3S_SCAN_OFF;
	if ((w & S3S_MASK(4)) == S3S_W4('P', 'U', 'T', ' '))
		return S3S_SCAN_RESP_OFF;
	if ((w & S3S_MASK(5)) == S3S_W8('P', 'O', 'S', 'T', ' ', 0, 0, 0) ||
	    (w & S3S_MASK(6)) == S3S_W8('P', 'A', 'T', 'C', 'H', ' ', 0, 0))
		return 0;
	return S3S_SCAN_OFF | S3S_SCAN_RESP_OFF; /* HEAD, DELETE, OPTIONS */
}

/* The scan state a response to a request in `req_scan` begins with. */
static __always_inline __u32 s3s_response_scan(__u32 req_scan)
{
	return (req_scan & S3S_SCAN_RESP_OFF) ? S3S_SCAN_OFF : 0;
}

/* An HTTP/1.x response starts with its status line: the sender is the server end of the connection. */
static __always_inline bool s3s_is_status_line(__u64 w)
{
	return (w & S3S_MASK(5)) == S3S_W8('H', 'T', 'T', 'P', '/', 0, 0, 0);
}

/* A proxy's CONNECT: the tunnel it opens may carry plain HTTP, so the connection is not noted as another protocol. */
static __always_inline bool s3s_is_proxy_connect(__u64 w)
{
	return w == S3S_W8('C', 'O', 'N', 'N', 'E', 'C', 'T', ' ');
}

struct s3s_scan {
	const __u8 *head;
	__u32 len;
	bool s3;
};

/*
 * Eight bytes with their ASCII letters lower-cased: header names are case-insensitive. The other bytes compared with
 * such a word ('-', ':') already have the 0x20 bit. Words, not string literals: a literal would become a .rodata map,
 * which pinned-map reuse refuses.
 */
static __always_inline __u64 s3s_lower_word(const __u8 *p)
{
	__u64 w;
	__builtin_memcpy(&w, p, sizeof(w));
	return w | 0x2020202020202020ULL;
}

/* Longest marker looked at from a line or parameter start: "\nauthorization: aws". */
#define S3S_MARK_MAX 20

/* One position of the head: stops the scan at an S3 marker or at the blank line that ends the head. */
static long s3s_scan_step(__u32 i, struct s3s_scan *scan)
{
	__u64 off = i;
	if (off + S3S_MARK_MAX > scan->len)
		return 1;
	/* The verifier must see the bound on the very register that indexes the head. */
	barrier_var(off);
	if (off > S3S_DATA_CAP - S3S_MARK_MAX)
		return 1;
	const __u8 *p = scan->head + off;
	if (p[0] != '\n' && p[0] != '?' && p[0] != '&')
		return 0;
	if ((s3s_lower_word(p + 1) & S3S_MASK(6)) == S3S_W8('x', '-', 'a', 'm', 'z', '-', 0, 0)) {
		scan->s3 = true;
		return 1;
	}
	if (p[0] != '\n')
		return 0;
	if (p[1] == '\r' || p[1] == '\n')
		return 1;
	if (s3s_lower_word(p + 1) == S3S_W8('a', 'u', 't', 'h', 'o', 'r', 'i', 'z') &&
	    (s3s_lower_word(p + 9) & S3S_MASK(6)) == S3S_W8('a', 't', 'i', 'o', 'n', ':', 0, 0)) {
		const __u8 *v = p[15] == ' ' ? p + 16 : p + 15;
		if (v[0] == 'A' && v[1] == 'W' && v[2] == 'S') {
			scan->s3 = true;
			return 1;
		}
	}
	return 0;
}

/*
 * Whether a new connection's first request, whose head is the first `n` bytes of the scratch's data, is worth
 * tracking: with --all-http every HTTP request is, else only one signed for S3 — an x-amz-* header or query parameter
 * (SigV4 signs x-amz-content-sha256 into every S3 request; presigned URLs carry X-Amz-Signature) or an
 * "Authorization: AWS" header (SigV2). Only the starts of header lines and query parameters are compared, up to the
 * end of the head; unrelated HTTP traffic never reaches the collector.
 */
static __always_inline bool s3s_head_wanted(struct s3s_scratch *s, __u32 n)
{
	__u32 zero = 0;
	struct s3s_config *cfg = bpf_map_lookup_elem(&s3s_cfg, &zero);
	if (!cfg || cfg->all_http)
		return true;
	struct s3s_scan scan = { .head = s->data, .len = n & (S3S_DATA_CAP - 1) };
	bpf_loop(scan.len, s3s_scan_step, &scan, 0);
	return scan.s3;
}

/* The same for a head still in the caller's buffer (TLS plaintext): copied into the scratch first. */
static __always_inline bool s3s_request_wanted(__u64 base, __u64 len)
{
	__u32 zero = 0;
	struct s3s_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return true;
	__u32 n = len < S3S_REQ_COPY_MAX ? len : S3S_REQ_COPY_MAX;
	n &= S3S_DATA_CAP - 1;
	if (bpf_probe_read_user(s->data, n, (void *)base))
		return true;
	return s3s_head_wanted(s, n);
}

/* First buffer of a syscall: the plain buffer, or the first iovec of writev/sendmsg. */
static __always_inline bool s3s_first_iov(__u16 op, __u64 arg, __u64 *base, __u64 *len)
{
	struct iovec iov = {};
	if (op == S3S_OP_NONE)
		return false;
	if (op == S3S_OP_BUF) {
		*base = arg;
		*len = ~0ULL;
		return true;
	}
	if (op == S3S_OP_MSG) {
		struct user_msghdr msg = {};
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)arg))
			return false;
		arg = (__u64)msg.msg_iov;
	}
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)arg))
		return false;
	*base = (__u64)iov.iov_base;
	*len = iov.iov_len;
	return true;
}

static __always_inline void s3s_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		*n += 1;
}

static __always_inline __u64 s3s_new_conn_id(void)
{
	__u32 zero = 0;
	__u64 *next = bpf_map_lookup_elem(&next_conn_id, &zero);
	if (!next)
		return 0;
	return __sync_fetch_and_add(next, 1) + 1;
}

/*
 * Starts tracking a connection of the current process: its id, peer (when it has a socket) and process name, and the
 * process's mark, so its receives are looked at. Returns the map's copy, NULL when it could not be stored.
 */
static __always_inline struct s3s_conn *s3s_start_conn(const struct s3s_conn_key *key, __u32 tgid, __u32 flags,
							 const struct sock *sk)
{
	struct s3s_conn fresh = { .conn_id = s3s_new_conn_id(), .phase = S3S_PHASE_REQ, .flags = flags, .tgid = tgid };
	if (sk)
		s3s_read_peer(sk, &fresh.peer);
	s3s_process_comm(&fresh.comm);
	bpf_map_update_elem(&conns, key, &fresh, BPF_ANY);
	s3s_mark_tgid(tgid);
	return bpf_map_lookup_elem(&conns, key);
}

/*
 * Waking the reader for every record costs more than the program itself at high request rates: the collector polls
 * on a short timer anyway, so the reader is woken only by the record that fills the ring buffer past a quarter. The
 * records after it, while the reader is still on its way, wake nobody: each forced wake-up costs the traced program.
 */
static __always_inline __u64 s3s_wakeup_flag(__u64 record)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 mark = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4;
	return avail <= mark && avail + record > mark ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void s3s_fill(struct s3s_record *rec, const struct s3s_io *st, const struct s3s_conn *conn,
				     __u16 kind, __u16 flags, __s64 bytes, __u64 exit_ns)
{
	__u64 tid_tgid = bpf_get_current_pid_tgid();
	rec->enter_ns = st->enter_ns;
	rec->exit_ns = exit_ns;
	rec->conn_id = conn->conn_id;
	rec->bytes = bytes;
	rec->tgid = tid_tgid >> 32;
	rec->tid = (__u32)tid_tgid;
	rec->fd = st->fd;
	rec->kind = kind;
	rec->flags = flags;
	rec->peer = conn->peer;
	__builtin_memcpy(rec->comm, conn->comm, sizeof(rec->comm));
}

/*
 * Emits a record without data (close, end of stream, exit) from the stack, not the per-CPU scratch: the state-change
 * program can run in softirq on top of a send program of the same CPU, which is still using the scratch.
 */
static __always_inline void s3s_emit_bare(const struct s3s_io *st, const struct s3s_conn *conn, __u16 kind,
					  __u16 flags, __u64 exit_ns)
{
	struct s3s_record rec = {};
	s3s_fill(&rec, st, conn, kind, flags, 0, exit_ns);
	if (bpf_ringbuf_output(&events, &rec, sizeof(rec), s3s_wakeup_flag(sizeof(rec))))
		s3s_count_lost();
}

/*
 * Copies up to `copy` bytes from the first buffer of the syscall into the scratch's data (only the first iovec: heads
 * are written in one piece by every client checked); returns how many were copied.
 */
static __always_inline __u32 s3s_copy_data(struct s3s_scratch *s, const struct s3s_io *st, __u64 copy)
{
	__u64 base = 0, len = 0;
	if (!copy || !s3s_first_iov(st->op, st->buf, &base, &len))
		return 0;
	if (copy > len)
		copy = len;
	if (copy > S3S_REQ_COPY_MAX)
		copy = S3S_REQ_COPY_MAX;
	__u32 copied = copy & (S3S_DATA_CAP - 1);
	if (bpf_probe_read_user(s->data, copied, (void *)base))
		return 0;
	return copied;
}

/* Bytes of the next `got` of one direction that may still be copied: its head, up to `max` bytes in all. */
static __always_inline __u64 s3s_copy_budget(__u64 seen, __u64 max, __u32 scan, __s64 got)
{
	if ((scan & S3S_SCAN_DONE) && !(scan & S3S_SCAN_ERROR_BODY))
		return 0;
	__u64 copy = seen < max ? max - seen : 0;
	return copy > (__u64)got ? got : copy;
}

#define S3S_BYTES8(b) (0x0101010101010101ULL * (__u8)(b))
/* Offset of the first status digit in "HTTP/1.1 200". */
#define S3S_STATUS_AT 9
#define S3S_STATUS_LINE_MIN 12

/*
 * What a response head starting at `start` of the scratch's data tells from its status: a success (2xx) keeps only
 * the head, an interim 1xx is followed by another head, anything else keeps the start of its body (the S3 error
 * code). A status not in this record (a head split before its digits) counts as an error: nothing is lost.
 */
static __always_inline __u32 s3s_status_scan(const __u8 *data, __u32 n, __u32 start)
{
	__u64 off = start;
	if (off + S3S_STATUS_LINE_MIN > n)
		return S3S_SCAN_STATUS | S3S_SCAN_ERROR_BODY;
	barrier_var(off);
	if (off > S3S_DATA_CAP - S3S_STATUS_LINE_MIN)
		return S3S_SCAN_STATUS | S3S_SCAN_ERROR_BODY;
	const __u8 *digits = data + off + S3S_STATUS_AT;
	if (digits[0] == '2')
		return S3S_SCAN_STATUS;
	if (digits[0] == '1' && !(digits[1] == '0' && digits[2] == '1'))
		return S3S_SCAN_STATUS | S3S_SCAN_INTERIM;
	return S3S_SCAN_STATUS | S3S_SCAN_ERROR_BODY;
}

/* 0x80 in each byte of `w` that equals `c` (not 0), 0 elsewhere: exact, no carry between bytes. */
static __always_inline __u64 s3s_bytes_equal(__u64 w, __u8 c)
{
	__u64 x = w ^ S3S_BYTES8(c);
	return ~(((x & S3S_BYTES8(0x7f)) + S3S_BYTES8(0x7f)) | x | S3S_BYTES8(0x7f));
}

/* Index of the lowest marked byte of a non-zero s3s_bytes_equal mask: a population count of the bits below it. */
static __always_inline __u32 s3s_first_marked(__u64 mask)
{
	__u64 below = (mask & -mask) - 1; /* 8 * index + 7 bits */
	below = below - ((below >> 1) & 0x5555555555555555ULL);
	below = (below & 0x3333333333333333ULL) + ((below >> 2) & 0x3333333333333333ULL);
	below = (below + (below >> 4)) & S3S_BYTES8(0x0f);
	return (below * S3S_BYTES8(1)) >> 59; /* the count is in the top byte; divided by 8 */
}

/* The scan's context; bpf_loop takes one on the stack only. */
struct s3s_head_ctx {
	struct s3s_scratch *s;
	__u32 n; /* bytes of this record in the scratch's data */
};

/*
 * One 8-byte word of the head. Most words hold no '\n' and cost a few instructions; in one that does, the blank line
 * ends at a '\n' preceded by '\n' (lenient peers) or by "\n\r", found for all eight bytes at once, the two bytes
 * before the word read from the record or, for its first word, from the scan state. Returns 1 when the scan is over.
 */
static long s3s_head_step(__u32 i, struct s3s_head_ctx *ctx)
{
	struct s3s_scratch *s = ctx->s;
	__u32 n = ctx->n;
	__u64 off = (__u64)i * sizeof(__u64);
	if (off >= n)
		return 1;
	barrier_var(off);
	if (off > S3S_DATA_CAP - sizeof(__u64))
		return 1;
	__u64 w;
	__builtin_memcpy(&w, s->data + off, sizeof(w));
	__u32 avail = n - off;
	/* Scratch bytes past the record belong to an earlier one. */
	if (avail < sizeof(w))
		w &= (1ULL << (avail * 8)) - 1;
	/* May flag a byte above a real '\n' too; the exact test follows. */
	__u64 x = w ^ S3S_BYTES8('\n');
	if (!((x - S3S_BYTES8(1)) & ~x & S3S_BYTES8(0x80)))
		return 0;

	struct s3s_head_scan *sc = &s->scan;
	__u64 before = sc->state & S3S_SCAN_LAST;
	if (off >= sizeof(__u64)) {
		__u16 two;
		__builtin_memcpy(&two, s->data + off - 2, sizeof(two));
		before = two;
	}
	__u64 nl = s3s_bytes_equal(w, '\n');
	__u64 nl_before = s3s_bytes_equal(before, '\n');
	__u64 cr_before = s3s_bytes_equal(before, '\r');
	__u64 blank = nl & ((nl << 8 | nl_before >> 8) | ((s3s_bytes_equal(w, '\r') << 8 | cr_before >> 8) & (nl << 16 | nl_before)));
	if (!blank)
		return 0;
	__u32 end = off + s3s_first_marked(blank) + 1;
	if (!(sc->state & S3S_SCAN_INTERIM)) {
		sc->state |= S3S_SCAN_DONE;
		sc->end = end;
		return 1;
	}
	/* A status line is longer than the rest of this word: the next head's blank line is in a later one. */
	sc->state = end < n ? s3s_status_scan(s->data, n, end) : 0;
	sc->start = end;
	return 0;
}

/* A byte of the scratch's data, 0 past its end. */
static __always_inline __u32 s3s_data_byte(const struct s3s_scratch *s, __u64 at)
{
	barrier_var(at);
	return at < S3S_DATA_CAP ? s->data[at] : 0;
}

/*
 * How many of the `copied` bytes in the scratch's data may leave the kernel: those of the head (and, for an error
 * response, of its body up to the copy limit, which the caller's budget already applied). Moves the direction's scan
 * state on; a head that goes on in the next record keeps its last two bytes there.
 */
static __always_inline __u32 s3s_keep_head(struct s3s_scratch *s, __u32 copied, __u32 *scan, bool response)
{
	if (!copied || (*scan & S3S_SCAN_OFF))
		return copied;
	if (*scan & S3S_SCAN_DONE)
		return (*scan & S3S_SCAN_ERROR_BODY) ? copied : 0;
	struct s3s_head_ctx ctx = { .s = s, .n = copied & (S3S_DATA_CAP - 1) };
	__u32 n = ctx.n;
	s->scan.start = 0;
	s->scan.end = 0;
	s->scan.state = response && !(*scan & S3S_SCAN_STATUS) ? s3s_status_scan(s->data, n, 0) : *scan;
	bpf_loop((n + sizeof(__u64) - 1) / sizeof(__u64), s3s_head_step, &ctx, 0);
	__u32 state = s->scan.state, end = s->scan.end, head_start = s->scan.start;
	if (!(state & S3S_SCAN_DONE) && n > head_start) {
		/* The head goes on in the next record: its blank line may begin with this record's last two bytes. */
		__u32 older = n - head_start >= 2 ? s3s_data_byte(s, n - 2) : (state & S3S_SCAN_LAST) >> 8;
		state = (state & ~S3S_SCAN_LAST) | older | s3s_data_byte(s, n - 1) << 8;
	}
	*scan = state;
	return end && end <= copied && !(state & S3S_SCAN_ERROR_BODY) ? end : copied;
}

/* A byte that a chunked body's terminator ("\r\n0\r\n\r\n") is made of. */
static __always_inline bool s3s_is_terminator_byte(__u8 b)
{
	return b == '\r' || b == '\n' || b == '0';
}

/*
 * The last bytes of a read that was not copied whole, for the collector's chunked-terminator test: only those after
 * the last byte that cannot belong to a terminator are kept (the rest of a read's end is object data).
 */
static __always_inline void s3s_read_tail(struct s3s_record *rec, const struct s3s_io *st, __s64 bytes)
{
	__u64 base = 0, len = 0;
	if (!s3s_first_iov(st->op, st->buf, &base, &len) || (__u64)bytes > len)
		return;
	__u64 n = bytes < S3S_TAIL_LEN ? bytes : S3S_TAIL_LEN;
	n &= 2 * S3S_TAIL_LEN - 1;
	if (n > S3S_TAIL_LEN)
		n = S3S_TAIL_LEN;
	if (bpf_probe_read_user(rec->tail, n, (void *)(base + bytes - n)))
		return;
	bool keep = true;
	for (int i = S3S_TAIL_LEN - 1; i >= 0; i--) {
		if (i >= n)
			continue;
		keep = keep && s3s_is_terminator_byte(rec->tail[i]);
		if (!keep)
			rec->tail[i] = 0;
	}
}

/*
 * Emits one record carrying the `copied` bytes already in the scratch's data, cut where the head ends: what follows
 * a head in the same send or read never leaves the kernel.
 */
static __always_inline void s3s_submit(struct s3s_scratch *s, const struct s3s_io *st, struct s3s_conn *conn,
				       __u16 kind, __u16 flags, __s64 bytes, __u32 copied, __u64 exit_ns)
{
	if (kind == S3S_KIND_WRITE)
		copied = s3s_keep_head(s, copied, &conn->req_scan, false);
	else if (kind == S3S_KIND_READ)
		copied = s3s_keep_head(s, copied, &conn->resp_scan, true);
	s3s_fill(&s->rec, st, conn, kind, flags, bytes, exit_ns);
	s->rec.copied = copied;
	__builtin_memset(s->rec.tail, 0, sizeof(s->rec.tail));
	/* A read copied whole already ends with its tail; only a longer one needs its last bytes read apart. */
	if (kind == S3S_KIND_READ && bytes > 0 && (__u64)bytes != copied)
		s3s_read_tail(&s->rec, st, bytes);
	__u64 size = sizeof(s->rec) + (copied & (S3S_DATA_CAP - 1));
	if (size > sizeof(*s))
		return;
	if (bpf_ringbuf_output(&events, s, size, s3s_wakeup_flag(size)))
		s3s_count_lost();
}

/* Emits one record with up to `copy` bytes of the syscall's buffer. */
static __always_inline void s3s_emit(const struct s3s_io *st, struct s3s_conn *conn, __u16 kind,
				     __u16 flags, __s64 bytes, __u64 copy, __u64 exit_ns)
{
	__u32 zero = 0;
	struct s3s_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	s3s_submit(s, st, conn, kind, flags, bytes, s3s_copy_data(s, st, copy), exit_ns);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Maps and helpers shared by every program; maps are __weak so the linked object holds one copy of each. */
#ifndef S3SLOWER_COMMON_BPF_H
#define S3SLOWER_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "s3slower.h"

#define S3S_S_IFMT 00170000
#define S3S_S_IFSOCK 0140000
#define S3S_AF_INET 2
#define S3S_AF_INET6 10

/* Keeps a syscall's arguments from entry to exit on the calling thread. */
#define s3s_stash_put(value) do { \
	struct s3s_stash *slot = bpf_task_storage_get(&stash, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE); \
	if (slot) \
		*slot = (value); \
} while (0)

_Static_assert(sizeof(struct s3s_record) == 96, "record layout is mirrored in collector/Bpf/KernelRecord.cs");

/* Syscall arguments kept from entry to exit, per thread. */
struct s3s_stash {
	__u64 enter_ns; /* 0: no syscall of interest in flight on this thread */
	__u64 buf; /* buffer, iovec array or user_msghdr, per `op` */
	__u32 fd;
	__u16 op;
	__u16 flags; /* S3S_REC_NEW_CONN / S3S_REC_METHOD decided at entry */
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

/* Per-thread storage: an exit that finds nothing (every unrelated syscall) costs a pointer load, not a hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct s3s_stash);
} stash SEC(".maps") __weak;

/* Failed ring-buffer reservations, summed over CPUs by the collector. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps") __weak;

/* Builds a record before it is copied into the ring buffer (too large for the stack). */
struct s3s_scratch {
	struct s3s_record rec;
	__u8 data[S3S_DATA_CAP];
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
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, S3S_TGID_BITS / 64);
	__type(key, __u32);
	__type(value, __u64);
} tgid_bits SEC(".maps") __weak;

static __always_inline bool s3s_tgid_marked(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&tgid_bits, &word);
	return bits && (*bits & (1ULL << (tgid % 64)));
}

static __always_inline void s3s_mark_tgid(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&tgid_bits, &word);
	if (bits && !(*bits & (1ULL << (tgid % 64))))
		__sync_fetch_and_or(bits, 1ULL << (tgid % 64));
}

static __always_inline void s3s_unmark_tgid(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(&tgid_bits, &word);
	if (bits)
		__sync_fetch_and_and(bits, ~(1ULL << (tgid % 64)));
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
		bpf_get_current_comm(comm, sizeof(comm));
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

/*
 * The first test of every write: is `fd` a socket? The task's fd table is reached through BTF pointers (plain loads),
 * only the slot and the inode mode need probe reads.
 */
static __always_inline bool s3s_fd_is_socket(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;
	if (fd >= fdt->max_fds)
		return false;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]) || !file)
		return false;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	return (mode & S3S_S_IFMT) == S3S_S_IFSOCK;
}

/* Only called when a write looks like an HTTP request on an unknown fd: not on the hot path. */
static __always_inline struct socket *s3s_socket_of(__u32 fd)
{
	struct file *file = s3s_file_of(fd);
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S3S_S_IFMT) != S3S_S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

static __always_inline void s3s_read_peer(struct socket *sock, struct s3s_peer *peer)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
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

/* First buffer of a syscall: the plain buffer, or the first iovec of writev/sendmsg. */
static __always_inline bool s3s_first_iov(__u16 op, __u64 arg, __u64 *base, __u64 *len)
{
	struct iovec iov = {};
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
 * Waking the reader for every record costs more than the program itself at high request rates: the collector polls
 * on a short timer anyway, so the reader is woken only when the ring buffer is a quarter full.
 */
static __always_inline __u64 s3s_wakeup_flag(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	return avail > size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * Emits one record; copies up to `copy` bytes from the first buffer of the syscall
 * (only the first iovec: heads are written in one piece by every client checked).
 */
static __always_inline void s3s_emit(const struct s3s_stash *st, const struct s3s_conn *conn, __u16 kind,
				     __u16 flags, __s64 bytes, __u64 copy, __u64 exit_ns)
{
	__u32 zero = 0;
	struct s3s_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	__u64 tid_tgid = bpf_get_current_pid_tgid();
	s->rec.enter_ns = st->enter_ns;
	s->rec.exit_ns = exit_ns;
	s->rec.conn_id = conn->conn_id;
	s->rec.bytes = bytes;
	s->rec.tgid = tid_tgid >> 32;
	s->rec.tid = (__u32)tid_tgid;
	s->rec.fd = st->fd;
	s->rec.kind = kind;
	s->rec.flags = flags;
	s->rec.peer = conn->peer;
	bpf_get_current_comm(s->rec.comm, sizeof(s->rec.comm));

	__u32 copied = 0;
	if (copy) {
		__u64 base = 0, len = 0;
		if (s3s_first_iov(st->op, st->buf, &base, &len)) {
			if (copy > len)
				copy = len;
			if (copy > S3S_REQ_COPY_MAX)
				copy = S3S_REQ_COPY_MAX;
			copied = copy & (S3S_DATA_CAP - 1);
			if (bpf_probe_read_user(s->data, copied, (void *)base))
				copied = 0;
		}
	}
	s->rec.copied = copied;
	__builtin_memset(s->rec.tail, 0, sizeof(s->rec.tail));
	if (kind == S3S_KIND_READ && bytes > 0) {
		__u64 base = 0, len = 0;
		if (s3s_first_iov(st->op, st->buf, &base, &len) && (__u64)bytes <= len) {
			__u64 n = bytes < S3S_TAIL_LEN ? bytes : S3S_TAIL_LEN;
			n &= 2 * S3S_TAIL_LEN - 1;
			if (n > S3S_TAIL_LEN)
				n = S3S_TAIL_LEN;
			bpf_probe_read_user(s->rec.tail, n, (void *)(base + bytes - n));
		}
	}
	__u64 size = sizeof(s->rec) + (copied & (S3S_DATA_CAP - 1));
	if (size > sizeof(*s))
		return;
	if (bpf_ringbuf_output(&events, s, size, s3s_wakeup_flag()))
		s3s_count_lost();
}

#endif

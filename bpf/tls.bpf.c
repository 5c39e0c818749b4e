// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * TLS: uprobes on the plaintext functions of OpenSSL/BoringSSL and GnuTLS feed the same per-connection records as the
 * socket programs, flagged S3S_REC_TLS. A stream is keyed by its socket once the sandwich revealed it, else by
 * (tgid, SSL*) (memory BIOs: .NET, Node). Also tells the collector about new executables and about files mapped by a
 * process once its dynamic loader has finished with them, so libraries loaded later (dlopen) and processes started
 * later are attached to within milliseconds.
 */
#include "tls.h"

/* SSL* → struct sock *, learned by the sandwich; kept so calls that make no syscall (buffered reads) find it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, S3S_MAX_CONNS);
	__type(key, struct s3s_tls_stream_key);
	__type(value, __u64);
} tls_stream_sk SEC(".maps");

/* Files the collector already examined: filled from user space, so the watcher reports each file once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, S3S_TLS_MAX_FILES);
	__type(key, struct s3s_tls_file_key);
	__type(value, __u8);
} tls_known_files SEC(".maps");

/*
 * A file a process mapped that the collector has not examined, kept until the process's dynamic loader says the
 * mapping is complete (s3s_tls_loaded): only then does /proc/<pid>/maps show it with its executable segment.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tgid */
	__type(value, struct s3s_tls_file_key);
} tls_mmap_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} tls_files SEC(".maps");

static __always_inline bool tls_is_write(__u16 flavor)
{
	return flavor == S3S_TLS_SSL_WRITE || flavor == S3S_TLS_SSL_WRITE_EX || flavor == S3S_TLS_GNUTLS_SEND;
}

SEC("uprobe")
int BPF_KPROBE(s3s_tls_enter, void *ssl, void *buf, __u64 num, void *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!s3s_process_wanted(tgid))
		return 0;
	/* Before the call is stored: a send inside it looks for the call only once the process has this bit. */
	s3s_bit_set(&tls_tgid_bits, tgid);
	struct s3s_tls_call *running = bpf_map_lookup_elem(&tls_calls, &tid);
	if (running) {
		running->depth++;
		return 0;
	}
	__u16 flavor = bpf_get_attach_cookie(ctx);
	struct s3s_tls_call call = {
		.enter_ns = bpf_ktime_get_ns(),
		.ssl = (__u64)ssl,
		.buf = (__u64)buf,
		.out = (flavor == S3S_TLS_SSL_WRITE_EX || flavor == S3S_TLS_SSL_READ_EX) ? (__u64)out : 0,
		.flavor = flavor,
	};
	bpf_map_update_elem(&tls_calls, &tid, &call, BPF_ANY);
	return 0;
}

/* Plaintext bytes the call moved; 0 for end of stream (SSL_read, gnutls_record_recv); < 0 when nothing moved. */
static __always_inline __s64 tls_result(const struct s3s_tls_call *call, __u64 rc)
{
	switch (call->flavor) {
	case S3S_TLS_SSL_WRITE:
	case S3S_TLS_SSL_READ:
		return (__s32)rc;
	case S3S_TLS_SSL_WRITE_EX:
	case S3S_TLS_SSL_READ_EX: {
		__u64 n = 0;
		if ((__s32)rc != 1 || !call->out || bpf_probe_read_user(&n, sizeof(n), (void *)call->out))
			return -1;
		return (__s64)n;
	}
	default:
		return (__s64)rc;
	}
}

/* The stream's connection key: by socket once known (so the socket's close ends it), else by SSL pointer. */
static __always_inline struct s3s_conn_key tls_conn_key(__u32 tgid, struct s3s_tls_call *call)
{
	struct s3s_tls_stream_key skey = { .tgid = tgid, .ssl = call->ssl };
	if (call->sk) {
		bpf_map_update_elem(&tls_stream_sk, &skey, &call->sk, BPF_ANY);
	} else {
		__u64 *sk = bpf_map_lookup_elem(&tls_stream_sk, &skey);
		if (sk)
			call->sk = *sk;
	}
	struct s3s_conn_key key = {};
	if (call->sk) {
		key.kind = S3S_CONN_KEY_SOCK;
		key.id = call->sk;
	} else {
		key.tgid = tgid;
		key.kind = S3S_CONN_KEY_SSL;
		key.id = call->ssl;
	}
	return key;
}

static __always_inline void tls_on_write(struct s3s_tls_call *call, struct s3s_conn_key *key, __s64 bytes, __u64 now)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, key);
	if (conn && conn->tgid != tgid)
		conn = NULL;
	__u16 flags = S3S_REC_TLS;
	__u64 head = 0;
	if (!conn || conn->phase != S3S_PHASE_REQ) {
		if (bytes >= 4 && !bpf_probe_read_user(&head, sizeof(head), (void *)call->buf) && s3s_is_method(head))
			flags |= S3S_REC_METHOD;
	}
	if (!conn) {
		if (!(flags & S3S_REC_METHOD) || !s3s_request_wanted(call->buf, bytes))
			return;
		flags |= S3S_REC_NEW_CONN;
		const struct sock *sk = key->kind == S3S_CONN_KEY_SOCK ? (const struct sock *)key->id : NULL;
		conn = s3s_start_conn(key, tgid, S3S_CONN_TLS, sk);
		if (!conn)
			return;
		conn->req_scan = s3s_method_scan(head);
	} else if ((flags & S3S_REC_METHOD) && conn->phase != S3S_PHASE_REQ) {
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = 0;
		conn->req_scan = s3s_method_scan(head);
	} else if (conn->phase != S3S_PHASE_REQ) {
		/* The body after an interim 100 Continue: counted, never copied. */
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = S3S_REQ_COPY_MAX;
		conn->req_scan |= S3S_SCAN_DONE;
	}
	/* A socket that carried plain HTTP before is TLS from now on: the socket programs must leave it alone. */
	conn->flags |= S3S_CONN_TLS;

	__u64 copy = s3s_copy_budget(conn->req_seen, S3S_REQ_COPY_MAX, conn->req_scan, bytes);
	conn->req_seen += bytes;
	struct s3s_io io = { .enter_ns = call->enter_ns, .buf = call->buf, .fd = S3S_NO_FD, .op = S3S_OP_BUF };
	s3s_emit(&io, conn, S3S_KIND_WRITE, flags, bytes, copy, now);
}

static __always_inline void tls_on_read(struct s3s_tls_call *call, struct s3s_conn_key *key, __s64 bytes, __u64 now)
{
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, key);
	if (!conn)
		return;
	struct s3s_io io = { .enter_ns = call->enter_ns, .buf = call->buf, .fd = S3S_NO_FD, .op = S3S_OP_BUF };
	if (bytes == 0) {
		s3s_emit_bare(&io, conn, S3S_KIND_EOF, S3S_REC_TLS, now);
		return;
	}
	if (conn->phase != S3S_PHASE_RESP) {
		conn->phase = S3S_PHASE_RESP;
		conn->resp_seen = 0;
		conn->resp_scan = s3s_response_scan(conn->req_scan);
	}
	__u64 copy = s3s_copy_budget(conn->resp_seen, S3S_RESP_COPY_MAX, conn->resp_scan, bytes);
	conn->resp_seen += bytes;
	s3s_emit(&io, conn, S3S_KIND_READ, S3S_REC_TLS, bytes, copy, now);
}

SEC("uretprobe")
int BPF_KRETPROBE(s3s_tls_exit, __u64 rc)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct s3s_tls_call *running = bpf_map_lookup_elem(&tls_calls, &tid);
	if (!running)
		return 0;
	if (running->depth) {
		running->depth--;
		return 0;
	}
	struct s3s_tls_call call = *running;
	bpf_map_delete_elem(&tls_calls, &tid);

	__s64 bytes = tls_result(&call, rc);
	if (bytes < 0)
		return 0;
	/* SSL_read_ex reports end of stream and "try again" alike as 0: only the plain forms can say EOF. */
	if (bytes == 0 && (call.flavor == S3S_TLS_SSL_READ_EX || tls_is_write(call.flavor)))
		return 0;
	struct s3s_conn_key key = tls_conn_key(tgid, &call);
	if (tls_is_write(call.flavor))
		tls_on_write(&call, &key, bytes, now);
	else
		tls_on_read(&call, &key, bytes, now);
	return 0;
}

/*
 * SSL_free / gnutls_deinit: the end of a stream keyed by its SSL pointer (memory BIOs have no close() to watch).
 * Ends the connection now and forgets it, so a later SSL object at the same address starts a new connection.
 */
SEC("uprobe")
int BPF_KPROBE(s3s_tls_free, void *ssl)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct s3s_tls_stream_key skey = { .tgid = tgid, .ssl = (__u64)ssl };
	bpf_map_delete_elem(&tls_stream_sk, &skey);
	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_SSL, .id = (__u64)ssl };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	struct s3s_io io = { .enter_ns = now, .fd = S3S_NO_FD };
	s3s_emit_bare(&io, conn, S3S_KIND_CLOSE, S3S_REC_TLS, now);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* struct inode before Linux 6.11 (the change time as a timespec64, named __i_ctime from 6.6 on). */
struct inode___ctime_timespec {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime_private {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

/* Bit 31 of i_ctime_nsec flags a queried multigrain timestamp; stat never reports it. */
#define S3S_CTIME_NSEC_MASK 0x7fffffffU

static __always_inline void tls_ctime_of(struct inode *inode, struct s3s_tls_file_key *fkey)
{
	if (bpf_core_field_exists(inode->i_ctime_sec)) {
		fkey->ctime_sec = BPF_CORE_READ(inode, i_ctime_sec);
		fkey->ctime_nsec = BPF_CORE_READ(inode, i_ctime_nsec) & S3S_CTIME_NSEC_MASK;
	} else if (bpf_core_field_exists(((struct inode___ctime_private *)inode)->__i_ctime)) {
		struct inode___ctime_private *old = (void *)inode;
		fkey->ctime_sec = BPF_CORE_READ(old, __i_ctime.tv_sec);
		fkey->ctime_nsec = BPF_CORE_READ(old, __i_ctime.tv_nsec);
	} else {
		struct inode___ctime_timespec *old = (void *)inode;
		fkey->ctime_sec = BPF_CORE_READ(old, i_ctime.tv_sec);
		fkey->ctime_nsec = BPF_CORE_READ(old, i_ctime.tv_nsec);
	}
}

static __always_inline bool tls_file_key_of(struct file *file, struct s3s_tls_file_key *fkey)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	fkey->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	fkey->ino = BPF_CORE_READ(inode, i_ino);
	tls_ctime_of(inode, fkey);
	return !bpf_map_lookup_elem(&tls_known_files, fkey);
}

/*
 * "tp/" sections: the plain-HTTP loader attaches the "tracepoint/" ones; these belong to TlsTracer, which attaches
 * them only when TLS tracing is on.
 */
SEC("tp/sched/sched_process_exec")
int s3s_tls_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!s3s_process_wanted(tgid))
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct s3s_tls_file_event ev = { .pid = tgid, .reason = S3S_TLS_FILE_EXEC };
	if (exe && tls_file_key_of(exe, &ev.file))
		bpf_ringbuf_output(&tls_files, &ev, sizeof(ev), 0);
	return 0;
}

/*
 * A file mapping that needs a new address range: the dynamic loader's first mmap of every library (its later, fixed
 * mmaps reuse that range). Not a syscall tracepoint, so other syscalls keep their fast path. The mapping does not
 * exist yet: a file the collector has not examined is only remembered here and reported by s3s_tls_loaded.
 */
SEC("tp/mmap/vm_unmapped_area")
int s3s_tls_mmap(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!s3s_process_wanted(tgid))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (S3S_REGS_NR(regs) != S3S_NR_MMAP)
		return 0;
	__s32 fd = S3S_REGS_MMAP_FD(regs);
	if (fd < 0 || (S3S_REGS_MMAP_FLAGS(regs) & S3S_MAP_ANONYMOUS))
		return 0;
	struct file *file = s3s_file_of(fd);
	struct s3s_tls_file_key fkey = {};
	if (file && tls_file_key_of(file, &fkey))
		bpf_map_update_elem(&tls_mmap_pending, &tgid, &fkey, BPF_ANY);
	return 0;
}

/*
 * ld.so calls _dl_debug_state (the debuggers' breakpoint) when its list of loaded objects changes and again once the
 * change is complete: at startup and at every dlopen. A file remembered by s3s_tls_mmap is mapped by then.
 */
SEC("uprobe")
int s3s_tls_loaded(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct s3s_tls_file_key *pending = bpf_map_lookup_elem(&tls_mmap_pending, &tgid);
	if (!pending)
		return 0;
	struct s3s_tls_file_event ev = { .pid = tgid, .reason = S3S_TLS_FILE_MMAP, .file = *pending };
	bpf_map_delete_elem(&tls_mmap_pending, &tgid);
	bpf_ringbuf_output(&tls_files, &ev, sizeof(ev), 0);
	return 0;
}

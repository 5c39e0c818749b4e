// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * TLS: uprobes on the plaintext functions of OpenSSL/BoringSSL and GnuTLS feed the same per-connection records as the
 * syscall programs, flagged S3S_REC_TLS. A stream is keyed by (tgid, fd) once the sandwich revealed its socket, else
 * by (tgid, SSL*) (memory BIOs: .NET, Node). Also tells the collector about new executables and executable mappings,
 * so libraries loaded later (dlopen) and processes started later are attached to within milliseconds.
 */
#include "tls.h"

/* SSL* → socket fd, learned by the sandwich; kept so calls that make no syscall (buffered reads) find it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, S3S_MAX_CONNS);
	__type(key, struct s3s_tls_stream_key);
	__type(value, __u32);
} tls_stream_fd SEC(".maps");

/* Files the collector already examined: filled from user space, so the watcher reports each file once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, S3S_TLS_MAX_FILES);
	__type(key, struct s3s_tls_file_key);
	__type(value, __u8);
} tls_known_files SEC(".maps");

/* An executable mmap seen at entry, reported at exit once the mapping exists in /proc/<pid>/maps. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tid */
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
		.fd = S3S_NO_FD,
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

/* The stream's connection key: by socket once known (so close() ends it), else by SSL pointer. */
static __always_inline struct s3s_conn_key tls_conn_key(__u32 tgid, struct s3s_tls_call *call)
{
	struct s3s_tls_stream_key skey = { .tgid = tgid, .ssl = call->ssl };
	if (call->fd != S3S_NO_FD) {
		bpf_map_update_elem(&tls_stream_fd, &skey, &call->fd, BPF_ANY);
	} else {
		__u32 *fd = bpf_map_lookup_elem(&tls_stream_fd, &skey);
		if (fd)
			call->fd = *fd;
	}
	struct s3s_conn_key key = { .tgid = tgid };
	if (call->fd != S3S_NO_FD) {
		key.kind = S3S_CONN_KEY_FD;
		key.id = call->fd;
	} else {
		key.kind = S3S_CONN_KEY_SSL;
		key.id = call->ssl;
	}
	return key;
}

static __always_inline void tls_on_write(struct s3s_tls_call *call, struct s3s_conn_key *key, __s64 bytes, __u64 now)
{
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, key);
	__u16 flags = S3S_REC_TLS;
	if (!conn || conn->phase != S3S_PHASE_REQ) {
		__u64 head = 0;
		if (bytes >= 4 && !bpf_probe_read_user(&head, sizeof(head), (void *)call->buf) && s3s_is_method(head))
			flags |= S3S_REC_METHOD;
	}
	if (!conn) {
		if (!(flags & S3S_REC_METHOD))
			return;
		flags |= S3S_REC_NEW_CONN;
		struct s3s_conn fresh = { .conn_id = s3s_new_conn_id(), .phase = S3S_PHASE_REQ, .flags = S3S_CONN_TLS };
		if (key->kind == S3S_CONN_KEY_FD) {
			struct socket *sock = s3s_socket_of(call->fd);
			if (sock)
				s3s_read_peer(sock, &fresh.peer);
		}
		bpf_map_update_elem(&conns, key, &fresh, BPF_ANY);
		s3s_mark_tgid(key->tgid); /* the syscall programs skip processes without the mark (close among them) */
		conn = bpf_map_lookup_elem(&conns, key);
		if (!conn)
			return;
	} else if ((flags & S3S_REC_METHOD) && conn->phase != S3S_PHASE_REQ) {
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = 0;
	} else if (conn->phase != S3S_PHASE_REQ) {
		/* The body after an interim 100 Continue: counted, never copied. */
		conn->phase = S3S_PHASE_REQ;
		conn->req_seen = S3S_REQ_COPY_MAX;
	}
	/* A socket that carried plain HTTP before is TLS from now on: the syscall programs must leave it alone. */
	conn->flags |= S3S_CONN_TLS;

	__u64 copy = conn->req_seen < S3S_REQ_COPY_MAX ? S3S_REQ_COPY_MAX - conn->req_seen : 0;
	if (copy > (__u64)bytes)
		copy = bytes;
	conn->req_seen += bytes;
	struct s3s_stash st = { .enter_ns = call->enter_ns, .buf = call->buf, .fd = call->fd, .op = S3S_OP_BUF, .flags = flags };
	s3s_emit(&st, conn, S3S_KIND_WRITE, flags, bytes, copy, now);
}

static __always_inline void tls_on_read(struct s3s_tls_call *call, struct s3s_conn_key *key, __s64 bytes, __u64 now)
{
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, key);
	if (!conn)
		return;
	struct s3s_stash st = { .enter_ns = call->enter_ns, .buf = call->buf, .fd = call->fd, .op = S3S_OP_BUF };
	if (bytes == 0) {
		s3s_emit(&st, conn, S3S_KIND_EOF, S3S_REC_TLS, 0, 0, now);
		return;
	}
	if (conn->phase != S3S_PHASE_RESP) {
		conn->phase = S3S_PHASE_RESP;
		conn->resp_seen = 0;
	}
	__u64 copy = conn->resp_seen < S3S_RESP_COPY_MAX ? S3S_RESP_COPY_MAX - conn->resp_seen : 0;
	if (copy > (__u64)bytes)
		copy = bytes;
	conn->resp_seen += bytes;
	s3s_emit(&st, conn, S3S_KIND_READ, S3S_REC_TLS, bytes, copy, now);
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
	bpf_map_delete_elem(&tls_stream_fd, &skey);
	struct s3s_conn_key key = { .tgid = tgid, .kind = S3S_CONN_KEY_SSL, .id = (__u64)ssl };
	struct s3s_conn *conn = bpf_map_lookup_elem(&conns, &key);
	if (!conn)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	struct s3s_stash st = { .enter_ns = now, .fd = S3S_NO_FD };
	s3s_emit(&st, conn, S3S_KIND_CLOSE, S3S_REC_TLS, 0, 0, now);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

static __always_inline void tls_report_file(struct file *file, __u32 reason)
{
	struct s3s_tls_file_key fkey = {};
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	fkey.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	fkey.ino = BPF_CORE_READ(inode, i_ino);
	if (bpf_map_lookup_elem(&tls_known_files, &fkey))
		return;
	if (reason == S3S_TLS_FILE_MMAP) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_update_elem(&tls_mmap_pending, &tid, &fkey, BPF_ANY);
		return;
	}
	struct s3s_tls_file_event ev = { .pid = bpf_get_current_pid_tgid() >> 32, .reason = reason, .file = fkey };
	bpf_ringbuf_output(&tls_files, &ev, sizeof(ev), 0);
}

/*
 * "tp/" sections: the plain-HTTP loader attaches the "tracepoint/" ones; these belong to TlsTracer, which attaches
 * them only when TLS tracing is on.
 */
SEC("tp/sched/sched_process_exec")
int s3s_tls_exec(void *ctx)
{
	if (!s3s_process_wanted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe)
		tls_report_file(exe, S3S_TLS_FILE_EXEC);
	return 0;
}

SEC("tp/syscalls/sys_enter_mmap")
int s3s_tls_mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	__s32 fd = ctx->args[4];
	if (!(ctx->args[2] & S3S_PROT_EXEC) || fd < 0)
		return 0;
	if (!s3s_process_wanted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	struct file *file = s3s_file_of(fd);
	if (file)
		tls_report_file(file, S3S_TLS_FILE_MMAP);
	return 0;
}

SEC("tp/syscalls/sys_exit_mmap")
int s3s_tls_mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct s3s_tls_file_key *pending = bpf_map_lookup_elem(&tls_mmap_pending, &tid);
	if (!pending)
		return 0;
	struct s3s_tls_file_event ev = { .pid = id >> 32, .reason = S3S_TLS_FILE_MMAP, .file = *pending };
	bpf_map_delete_elem(&tls_mmap_pending, &tid);
	if (ctx->ret < 0 && ctx->ret > -4096)
		return 0;
	bpf_ringbuf_output(&tls_files, &ev, sizeof(ev), 0);
	return 0;
}

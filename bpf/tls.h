/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * TLS plaintext tracing state shared by tls.bpf.c (uprobes) and the socket programs (the "sandwich": a socket send
 * made on a thread while it is inside SSL_write reveals the socket of that TLS stream).
 * The per-thread TLS state lives in its own map, never in `stash`, so neither path can consume the other's state.
 */
#ifndef S3SLOWER_TLS_H
#define S3SLOWER_TLS_H

#include "common.bpf.h"

#define S3S_TLS_MAX_FILES 16384
#define S3S_MAP_ANONYMOUS 0x20

/* The uprobe's BPF cookie: which function it sits on (mirrors collector/Tls/TlsFunction.cs). */
enum s3s_tls_flavor {
	S3S_TLS_SSL_WRITE = 1,    /* int SSL_write(SSL*, const void*, int) */
	S3S_TLS_SSL_WRITE_EX = 2, /* int SSL_write_ex(SSL*, const void*, size_t, size_t *written) */
	S3S_TLS_SSL_READ = 3,     /* int SSL_read(SSL*, void*, int) */
	S3S_TLS_SSL_READ_EX = 4,  /* int SSL_read_ex(SSL*, void*, size_t, size_t *readbytes) */
	S3S_TLS_GNUTLS_SEND = 5,  /* ssize_t gnutls_record_send(gnutls_session_t, const void*, size_t) */
	S3S_TLS_GNUTLS_RECV = 6,  /* ssize_t gnutls_record_recv(gnutls_session_t, void*, size_t) */
	S3S_TLS_SSL_FREE = 7,     /* void SSL_free(SSL*): entry only */
	S3S_TLS_GNUTLS_DEINIT = 8, /* void gnutls_deinit(gnutls_session_t): entry only */
	S3S_TLS_LOADER_STATE = 9, /* void _dl_debug_state(void) of ld.so: a library set changed (s3s_tls_loaded) */
};

/* One TLS call in progress on a thread, from uprobe to uretprobe. */
struct s3s_tls_call {
	__u64 enter_ns;
	__u64 ssl;  /* SSL* or gnutls_session_t */
	__u64 buf;  /* plaintext buffer */
	__u64 out;  /* size_t* of the _ex functions */
	__u64 sk;   /* struct sock * learned by the sandwich, 0 until then */
	__u16 flavor;
	__u16 depth; /* nested TLS calls on the thread (a wrapper library over another): only the outer one counts */
	__u32 _pad;
};

/* A TLS stream of a process: its SSL pointer. */
struct s3s_tls_stream_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ssl;
};

/* A file as the kernel knows it: sb->s_dev, inode number and change time (collector/Tls/FileIdentity.cs). */
struct s3s_tls_file_key {
	__u32 dev;
	/*
	 * The inode's change time, so that a deleted file's inode number, reused for a new library, is not taken for the
	 * file the collector examined before (stat reports the same time; any change only costs a new examination).
	 */
	__u32 ctime_nsec;
	__u64 ino;
	__s64 ctime_sec;
};

enum s3s_tls_file_reason {
	S3S_TLS_FILE_EXEC = 1, /* a process started this executable */
	S3S_TLS_FILE_MMAP = 2, /* a process mapped this file and ld.so has since finished loading (startup, dlopen) */
};

/* Tells the collector a process mapped code it has not examined yet. */
struct s3s_tls_file_event {
	__u32 pid;
	__u32 reason;
	struct s3s_tls_file_key file;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, S3S_MAX_INFLIGHT);
	__type(key, __u32); /* tid */
	__type(value, struct s3s_tls_call);
} tls_calls SEC(".maps") __weak;

/*
 * Called at the top of the send program. Inside a TLS call the send carries ciphertext: note its socket for the TLS
 * stream and return true so the plain-HTTP path ignores it.
 */
static __always_inline bool s3s_tls_sandwich(__u64 pid_tgid, __u64 sk)
{
	__u32 tid = (__u32)pid_tgid;
	if (!s3s_bit_test(&tls_tgid_bits, pid_tgid >> 32))
		return false;
	struct s3s_tls_call *call = bpf_map_lookup_elem(&tls_calls, &tid);
	if (!call)
		return false;
	if (!call->sk)
		call->sk = sk;
	return true;
}

#endif

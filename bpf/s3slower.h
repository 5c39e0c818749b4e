/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Layout shared by the BPF programs and the collector (collector/Bpf/KernelRecord.cs mirrors it). */
#ifndef S3SLOWER_H
#define S3SLOWER_H

#define S3S_COMM_LEN 16
#define S3S_TAIL_LEN 8
/* Bytes of a request copied at most (request line + headers); the rest of a request is only counted. */
#define S3S_REQ_COPY_MAX 2048
/* Bytes of a response copied at most: status line and headers, or those and the start of an error body. */
#define S3S_RESP_COPY_MAX 2048
/* Power of two above both copy limits: masks copy lengths for the verifier. */
#define S3S_DATA_CAP 4096
#define S3S_MAX_CONNS 65536
#define S3S_MAX_INFLIGHT 16384
#define S3S_MAX_FILTER 64
/* The fd of a record whose syscall is unknown: a TLS stream over memory BIOs, a close, a process exit. */
#define S3S_NO_FD 0xffffffffu

/* What a record reports. */
enum s3s_kind {
	S3S_KIND_WRITE = 1, /* the application wrote `bytes` to a tracked connection */
	S3S_KIND_READ = 2,  /* the application read `bytes` from a tracked connection */
	S3S_KIND_EOF = 3,   /* a read returned 0: the peer closed */
	S3S_KIND_CLOSE = 4, /* the application closed the connection (or the kernel ended it) */
	S3S_KIND_EXIT = 5,  /* the whole process exited: the kernel closes its sockets without close(2) */
};

/*
 * Where a head ends, kept per direction of a connection (a head may arrive in pieces): only heads leave the kernel,
 * never the object data that follows one in the same send or read. The start of an error body (not 2xx) is kept too:
 * it holds the S3 error code.
 */
#define S3S_SCAN_LAST 0xffffu          /* the head's last two bytes so far, older first: a blank line may span records */
#define S3S_SCAN_STATUS (1u << 16)     /* response: the status of the head being read is known */
#define S3S_SCAN_INTERIM (1u << 17)    /* response: it is 1xx other than 101; another head follows */
#define S3S_SCAN_ERROR_BODY (1u << 18) /* response: not 2xx; its body is copied up to the copy limit */
#define S3S_SCAN_DONE (1u << 19)       /* the head ended: what follows is body */
/*
 * Object data travels only in the bodies of PUT and POST requests and of GET and POST responses (S3 Select answers a
 * POST with object content): other heads are copied up to the copy limit without looking for their end.
 */
#define S3S_SCAN_OFF (1u << 20)        /* this head is not looked for */
#define S3S_SCAN_RESP_OFF (1u << 21)   /* request: the response's head is not looked for either */

/* record flags */
#define S3S_REC_NEW_CONN (1u << 0)    /* first record of this connection */
#define S3S_REC_METHOD (1u << 1)      /* the write starts with an HTTP method and a space */
#define S3S_REC_TLS (1u << 2)         /* plaintext seen inside a TLS library (uprobes) */

/* Connection phases: a write moves a connection to REQ, a read to RESP. */
enum s3s_phase {
	S3S_PHASE_REQ = 1,
	S3S_PHASE_RESP = 2,
};

/* conn flags */
#define S3S_CONN_TLS (1u << 0) /* fed by TLS uprobes: the syscall programs ignore its (encrypted) bytes */

/* The syscall a socket send or receive came from: decides how its buffer is reached. */
enum s3s_op {
	S3S_OP_NONE = 0,   /* another path (sendfile, io_uring, recvmmsg): timed and counted, nothing copied */
	S3S_OP_BUF = 1,    /* write/sendto/read/recvfrom: a plain buffer */
	S3S_OP_IOV = 2,    /* writev/readv: an iovec array */
	S3S_OP_MSG = 3,    /* sendmsg/recvmsg: a user_msghdr */
};

/*
 * One connection: its kernel socket (struct sock *, tgid 0), so that a state change seen in any context (a close,
 * a reset handled in softirq) finds it. TLS streams over a socket use the same key; streams over memory BIOs put the
 * SSL pointer in `id`, with their tgid, and S3S_CONN_KEY_SSL in `kind`.
 */
struct s3s_conn_key {
	__u32 tgid;
	__u32 kind; /* S3S_CONN_KEY_SOCK or S3S_CONN_KEY_SSL */
	__u64 id;   /* struct sock * or SSL* */
};

#define S3S_CONN_KEY_SOCK 0
#define S3S_CONN_KEY_SSL 1

struct s3s_peer {
	__u16 family; /* AF_INET / AF_INET6, 0 when unknown */
	__u16 port;   /* host order */
	__u8 addr[16];
};

struct s3s_conn {
	__u64 conn_id;
	__u32 phase;
	__u32 flags;
	__u32 tgid;      /* the process that started it: another one on the same socket starts its own connection */
	__u32 _pad;
	__u64 req_seen;  /* bytes written since the request started (caps the copy) */
	__u64 resp_seen; /* bytes read since the response started */
	__u32 req_scan;  /* S3S_SCAN_* of the request's head: where it ends, so its body is never copied */
	__u32 resp_scan; /* the same for the response's head */
	struct s3s_peer peer;
	/* The process name when the connection started: records copy it from here, a helper call fewer per record. */
	char comm[S3S_COMM_LEN];
};

/* Ring-buffer record: header followed by `copied` bytes of the application's buffer. */
struct s3s_record {
	__u64 enter_ns; /* monotonic, syscall entry */
	__u64 exit_ns;  /* monotonic, syscall exit */
	__u64 conn_id;
	__s64 bytes;    /* syscall result */
	__u32 tgid;
	__u32 tid;
	__u32 fd;
	__u16 kind;
	__u16 flags;
	__u32 copied;
	struct s3s_peer peer;
	char comm[S3S_COMM_LEN];
	/*
	 * Last bytes of a read (up to 8, fewer when `bytes` < 8): where a chunked body's terminator shows. Only the
	 * bytes after the last one that cannot be part of that terminator ("\r\n0\r\n\r\n") are kept, the others are
	 * zero: the end of a read is object data. All zero when the whole read was copied: the copy ends with them.
	 */
	__u8 tail[S3S_TAIL_LEN];
};

struct s3s_config {
	__u32 filter_pids;  /* only tgids in pid_filter */
	__u32 filter_comms; /* only comms in comm_filter */
	__u32 self_tgid;    /* never traced: the collector itself */
	__u32 all_http;     /* --all-http: track connections whose first request is not signed for S3 too */
};

#endif

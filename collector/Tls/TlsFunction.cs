namespace S3Slower.Collector.Tls;

/// <summary>
/// The TLS library functions that carry plaintext. The numeric value is the uprobe's BPF cookie: it tells the shared
/// BPF programs how to read the arguments and the result (mirrors <c>enum s3s_tls_flavor</c> in bpf/tls.h).
/// </summary>
public enum TlsFunction
{
    /// <summary><c>int SSL_write(SSL*, const void*, int)</c>: returns the bytes written.</summary>
    SslWrite = 1,

    /// <summary><c>int SSL_write_ex(SSL*, const void*, size_t, size_t* written)</c>: returns 1 and stores the count.</summary>
    SslWriteEx = 2,

    /// <summary><c>int SSL_read(SSL*, void*, int)</c>.</summary>
    SslRead = 3,

    /// <summary><c>int SSL_read_ex(SSL*, void*, size_t, size_t* readbytes)</c>.</summary>
    SslReadEx = 4,

    /// <summary><c>ssize_t gnutls_record_send(gnutls_session_t, const void*, size_t)</c>.</summary>
    GnutlsRecordSend = 5,

    /// <summary><c>ssize_t gnutls_record_recv(gnutls_session_t, void*, size_t)</c>.</summary>
    GnutlsRecordRecv = 6,

    /// <summary><c>void SSL_free(SSL*)</c>: ends a stream keyed by its SSL pointer (entry probe only).</summary>
    SslFree = 7,

    /// <summary><c>void gnutls_deinit(gnutls_session_t)</c>: as <see cref="SslFree"/>.</summary>
    GnutlsDeinit = 8,

    /// <summary>
    /// <c>void _dl_debug_state(void)</c> of the dynamic loader, called when its set of loaded objects changes and once
    /// the change is complete: tells the watcher a library mapped by the process is ready to be examined.
    /// </summary>
    LoaderState = 9,
}

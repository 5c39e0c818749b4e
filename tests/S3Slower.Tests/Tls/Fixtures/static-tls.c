/* Fixture for ElfSymbolReaderTests: a non-PIE static binary whose text is loaded at a virtual address different
 * from its file offset, exporting the OpenSSL plaintext functions the way a statically linked node does.
 * Rebuild: clang -O1 -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-e,SSL_write -o static-tls.elf static-tls.c */
int SSL_write(void *ssl, const void *buf, int num) { return num + (ssl != buf); }
int SSL_read(void *ssl, void *buf, int num) { return num - (ssl != buf); }
int SSL_write_ex(void *ssl, const void *buf, unsigned long num, unsigned long *written) { *written = num; return ssl != buf; }
int not_tls(int x) { return x * 3; }

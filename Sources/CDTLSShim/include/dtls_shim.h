#ifndef SFU_DTLS_SHIM_H
#define SFU_DTLS_SHIM_H
// Small C wrappers for OpenSSL 3 macros that Swift cannot import (function-like
// macros, SSL_OP_* bit constants). Each is a one-line call of the function the
// macro expands to; nothing here keeps state.
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <stdint.h>

/// DTLS 1.2 only, read-ahead on, buffers released when idle, no session cache,
/// no tickets, no renegotiation, no MTU queries of the BIO (the MTU is set
/// explicitly per SSL). Returns 1 on success, 0 on failure.
int sfu_dtls_ctx_apply_defaults(SSL_CTX *ctx);

/// SSL_CTX_add1_chain_cert: 1 on success.
int sfu_dtls_ctx_add_chain_cert(SSL_CTX *ctx, X509 *cert);

/// SSL_set_mtu: the largest datagram OpenSSL may write (DTLS record headers
/// included). Returns 1 on success, 0 if the value is below OpenSSL's minimum.
int sfu_dtls_set_mtu(SSL *ssl, long mtu);

/// DTLSv1_get_timeout: microseconds until the retransmission timer fires
/// (0 = already expired), or -1 when no timer is running.
int64_t sfu_dtls_get_timeout_us(SSL *ssl);

/// DTLSv1_handle_timeout: 1 = retransmitted, 0 = timer not expired, -1 = fatal.
int sfu_dtls_handle_timeout(SSL *ssl);

/// BIO_set_retry_read.
void sfu_bio_set_retry_read(BIO *bio);
/// BIO_clear_retry_flags.
void sfu_bio_clear_retry_flags(BIO *bio);
#endif

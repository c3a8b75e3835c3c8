#include "dtls_shim.h"

int sfu_dtls_ctx_apply_defaults(SSL_CTX *ctx) {
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION)) return 0;
    if (!SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION)) return 0;
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION
                             | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return 1;
}

int sfu_dtls_ctx_add_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return (int)SSL_CTX_add1_chain_cert(ctx, cert);
}

int sfu_dtls_set_mtu(SSL *ssl, long mtu) {
    return SSL_set_mtu(ssl, mtu) ? 1 : 0;
}

int64_t sfu_dtls_get_timeout_us(SSL *ssl) {
    struct timeval tv = {0, 0};
    if (DTLSv1_get_timeout(ssl, &tv) <= 0) return -1;
    return (int64_t)tv.tv_sec * 1000000 + (int64_t)tv.tv_usec;
}

int sfu_dtls_handle_timeout(SSL *ssl) {
    return (int)DTLSv1_handle_timeout(ssl);
}

void sfu_bio_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
void sfu_bio_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }

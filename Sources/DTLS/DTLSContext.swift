import COpenSSL
import CDTLSShim

/// The `SSL_CTX` every transport of a worker (or of the process) is created
/// from: DTLS 1.2 only, our certificate, `use_srtp` with our profiles in
/// preference order, and a client certificate demanded from the peer. It exists
/// so the per-process setup (certificate, profiles, options) is done once and
/// transports stay cheap to create.
///
/// Certificate verification at the TLS layer accepts anything (WebRTC
/// certificates are self-signed); each `DTLSTransport` checks the peer's
/// certificate against the fingerprint from the offer in the same callback and
/// aborts the handshake on a mismatch.
///
/// Immutable after `init`; OpenSSL allows `SSL_new` on a configured `SSL_CTX`
/// from several threads, so it is `@unchecked Sendable`.
public final class DTLSContext: @unchecked Sendable {
    /// `SSL_CTX*`, owned.
    let ctx: OpaquePointer
    public let certificate: DTLSCertificate
    /// `use_srtp` profiles in preference order. As the DTLS server, the first
    /// one the client also offers is chosen.
    public let srtpProfiles: [SRTPProfile]

    /// - Parameters:
    ///   - srtpProfiles: in preference order; the default puts GCM first.
    public convenience init(certificate: DTLSCertificate,
                            srtpProfiles: [SRTPProfile] = [.aeadAES128GCM, .aes128CMHmacSHA1_80]) throws(DTLSSetupError) {
        try self.init(certificate: certificate, srtpProfiles: srtpProfiles, extraChain: [])
    }

    /// `extraChain` adds certificates sent after ours (tests use it to make
    /// flights bigger than the MTU).
    init(certificate: DTLSCertificate, srtpProfiles: [SRTPProfile], extraChain: [DTLSCertificate]) throws(DTLSSetupError) {
        precondition(!srtpProfiles.isEmpty, "at least one SRTP profile")
        OpenSSLErrors.clear()
        guard let ctx = SSL_CTX_new(DTLS_method()) else { throw DTLSSetupError("SSL_CTX_new(DTLS_method) failed") }
        self.ctx = ctx
        self.certificate = certificate
        self.srtpProfiles = srtpProfiles
        // From here on deinit frees ctx if a later step throws.

        guard sfu_dtls_ctx_apply_defaults(ctx) == 1 else { throw DTLSSetupError("DTLS 1.2 options") }
        guard SSL_CTX_use_certificate(ctx, certificate.x509) == 1,
              SSL_CTX_use_PrivateKey(ctx, certificate.privateKey) == 1,
              SSL_CTX_check_private_key(ctx) == 1 else { throw DTLSSetupError("loading our certificate") }
        for extra in extraChain {
            guard sfu_dtls_ctx_add_chain_cert(ctx, extra.x509) == 1 else { throw DTLSSetupError("adding a chain certificate") }
        }
        let names = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        // Returns 0 on success (unlike most of OpenSSL).
        guard SSL_CTX_set_tlsext_use_srtp(ctx, names) == 0 else { throw DTLSSetupError("use_srtp \(names)") }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtlsVerifyCallback)
    }

    deinit {
        SSL_CTX_free(ctx)
    }
}

/// Called by OpenSSL for every certificate of the peer's chain (possibly more
/// than once per depth). Chain errors are ignored; the leaf (depth 0) must match
/// the fingerprint the transport expects.
private func dtlsVerifyCallback(_ preverifyOK: Int32, _ store: OpaquePointer?) -> Int32 {
    guard let store,
          let sslRaw = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
          let transport = DTLSTransport.from(ssl: OpaquePointer(sslRaw)) else { return 0 }
    guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
    guard let leaf = X509_STORE_CTX_get_current_cert(store) else { return 0 }
    if transport.verifyPeerCertificate(leaf) { return 1 }
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
    return 0
}

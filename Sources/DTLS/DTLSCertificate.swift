import COpenSSL

/// Our DTLS identity: an ECDSA P-256 key and a self-signed X.509 certificate
/// (SHA-256 signature, random serial, valid from a day ago for 30 days),
/// generated at start. It exists because WebRTC authenticates DTLS peers by the
/// certificate fingerprint in SDP, not by a CA: the answer we send carries
/// `fingerprint.sdpValue`, and every transport presents this certificate.
///
/// Immutable after creation; OpenSSL reference-counts the key and certificate
/// atomically, so one instance may be shared by every worker (`@unchecked Sendable`).
public final class DTLSCertificate: @unchecked Sendable {
    /// `EVP_PKEY*`, owned.
    let privateKey: OpaquePointer
    /// `X509*`, owned.
    let x509: OpaquePointer
    /// The SHA-256 fingerprint, as the SDP answer announces it.
    public let fingerprint: DTLSFingerprint

    /// Generates a fresh key pair and certificate.
    public init(commonName: String = "sfu", validityDays: Int = 30) throws(DTLSSetupError) {
        OpenSSLErrors.clear()
        guard let key = Self.generateP256Key() else { throw DTLSSetupError("ECDSA P-256 key generation failed") }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw DTLSSetupError("X509_new failed")
        }
        guard Self.fill(cert, key: key, commonName: commonName, validityDays: validityDays),
              let fp = DTLSFingerprint.of(x509: cert, algorithm: .sha256) else {
            X509_free(cert)
            EVP_PKEY_free(key)
            throw DTLSSetupError("self-signed certificate creation failed")
        }
        privateKey = key
        x509 = cert
        fingerprint = fp
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(privateKey)
    }

    /// This certificate's fingerprint with another hash function.
    public func fingerprint(_ algorithm: DTLSFingerprint.Algorithm) -> DTLSFingerprint {
        // X509_digest cannot fail on a certificate we built and signed ourselves.
        DTLSFingerprint.of(x509: x509, algorithm: algorithm)!
    }

    /// The DER encoding of the certificate.
    public var derBytes: [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return out
    }

    private static func generateP256Key() -> OpaquePointer? {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1,
              EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1 else { return nil }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(ctx, &key) == 1 else { return nil }
        return key
    }

    private static func fill(_ cert: OpaquePointer, key: OpaquePointer, commonName: String, validityDays: Int) -> Bool {
        guard X509_set_version(cert, 2) == 1 else { return false }   // v3

        // Random positive 64-bit serial.
        guard let bn = BN_new() else { return false }
        defer { BN_free(bn) }
        guard BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1,
              let serial = BN_to_ASN1_INTEGER(bn, nil) else { return false }
        defer { ASN1_INTEGER_free(serial) }
        guard X509_set_serialNumber(cert, serial) == 1 else { return false }

        guard X509_gmtime_adj(X509_getm_notBefore(cert), -86_400) != nil,
              X509_gmtime_adj(X509_getm_notAfter(cert), validityDays * 86_400) != nil else { return false }

        guard let name = X509_get_subject_name(cert) else { return false }
        let added = commonName.withCString { cn in
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, UnsafeRawPointer(cn).assumingMemoryBound(to: UInt8.self), -1, -1, 0)
        }
        guard added == 1,
              X509_set_issuer_name(cert, name) == 1,
              X509_set_pubkey(cert, key) == 1,
              X509_sign(cert, key, EVP_sha256()) > 0 else { return false }
        return true
    }
}

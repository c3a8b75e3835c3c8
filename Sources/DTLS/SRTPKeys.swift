/// The SRTP protection profiles we negotiate through DTLS `use_srtp` (RFC 5764,
/// RFC 7714). It exists so the profile travels as a type from the handshake to
/// the libsrtp2 policy instead of as an OpenSSL name string.
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// `AES_CM_128_HMAC_SHA1_80`: for peers that offer nothing better (≈5 µs per
    /// packet with Debian's libsrtp2).
    case aes128CMHmacSHA1_80 = 0x0001
    /// `AEAD_AES_128_GCM`: preferred (≈1 µs per packet).
    case aeadAES128GCM = 0x0007

    /// The name OpenSSL's `SSL_CTX_set_tlsext_use_srtp` understands.
    public var openSSLName: String {
        switch self {
        case .aes128CMHmacSHA1_80: return "SRTP_AES128_CM_SHA1_80"
        case .aeadAES128GCM: return "SRTP_AEAD_AES_128_GCM"
        }
    }

    public var description: String {
        switch self {
        case .aes128CMHmacSHA1_80: return "AES_CM_128_HMAC_SHA1_80"
        case .aeadAES128GCM: return "AEAD_AES_128_GCM"
        }
    }

    /// Master key length in bytes.
    public var keyLength: Int { 16 }
    /// Master salt length in bytes.
    public var saltLength: Int { self == .aeadAES128GCM ? 12 : 14 }
    /// Bytes exported with `EXTRACTOR-dtls_srtp`: 2 × (key + salt).
    public var keyingMaterialLength: Int { 2 * (keyLength + saltLength) }
    /// How much `protectRTP` grows a packet (auth tag).
    public var rtpOverhead: Int { self == .aeadAES128GCM ? 16 : 10 }
}

/// SRTP master keys derived from a finished DTLS handshake (RFC 5764 §4.2).
/// It exists to hand the UDP worker exactly what its two `SRTPSession`s need:
/// our key+salt for the outbound (protect) session and the peer's for the
/// inbound (unprotect) one.
public struct SRTPKeys: Sendable, Equatable {
    public let profile: SRTPProfile
    /// Our write master key followed by our master salt (outbound session).
    public let localMasterKey: [UInt8]
    /// The peer's write master key followed by its master salt (inbound session).
    public let remoteMasterKey: [UInt8]
    /// The raw exporter output: client key | server key | client salt | server salt.
    public let keyingMaterial: [UInt8]

    /// Splits `EXTRACTOR-dtls_srtp` output. `isClient` says whether we were the DTLS client.
    public init?(profile: SRTPProfile, keyingMaterial m: [UInt8], isClient: Bool) {
        guard m.count == profile.keyingMaterialLength else { return nil }
        let k = profile.keyLength, s = profile.saltLength
        let clientKey = m[0 ..< k], serverKey = m[k ..< 2 * k]
        let clientSalt = m[2 * k ..< 2 * k + s], serverSalt = m[2 * k + s ..< 2 * k + 2 * s]
        let client = Array(clientKey) + Array(clientSalt)
        let server = Array(serverKey) + Array(serverSalt)
        self.profile = profile
        self.keyingMaterial = m
        self.localMasterKey = isClient ? client : server
        self.remoteMasterKey = isClient ? server : client
    }
}

import COpenSSL

/// A certificate fingerprint as SDP's `a=fingerprint` carries it (RFC 8122):
/// a hash function name and the digest as upper-case hex pairs separated by
/// colons. It exists because DTLS-SRTP trusts no CA: the only thing binding
/// the DTLS peer to the signalled session is this digest of its certificate.
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// Hash functions we compute and accept (RFC 8122 names). SHA-1 and MD5 are
    /// deliberately absent (RFC 8827 requires SHA-256 or stronger).
    public enum Algorithm: String, Sendable, CaseIterable, Comparable {
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        /// Digest length in bytes.
        public var length: Int {
            switch self {
            case .sha256: return 32
            case .sha384: return 48
            case .sha512: return 64
            }
        }

        public static func < (a: Algorithm, b: Algorithm) -> Bool { a.length < b.length }

        var evp: OpaquePointer? {
            switch self {
            case .sha256: return EVP_sha256()
            case .sha384: return EVP_sha384()
            case .sha512: return EVP_sha512()
            }
        }
    }

    public let algorithm: Algorithm
    /// The raw digest.
    public let bytes: [UInt8]

    public init?(algorithm: Algorithm, bytes: [UInt8]) {
        guard bytes.count == algorithm.length else { return nil }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses the two halves of `a=fingerprint:<hash> <value>`; the hash name
    /// is case-insensitive, hex digits may be either case. Nil for unknown
    /// hash functions or malformed values.
    public init?(algorithm name: String, value: String) {
        guard let algorithm = Algorithm(rawValue: name.lowercased()) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(algorithm.length)
        for pair in value.split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.utf8.count == 2, let byte = UInt8(pair, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Parses the whole attribute value, e.g. `sha-256 AB:CD:…`.
    public init?(sdpValue: String) {
        let parts = sdpValue.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        self.init(algorithm: String(parts[0]), value: String(parts[1]))
    }

    /// The digest as SDP writes it: `AB:CD:…` (upper-case hex).
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (i, b) in bytes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The attribute value: `sha-256 AB:CD:…`.
    public var sdpValue: String { "\(algorithm.rawValue) \(hex)" }
    public var description: String { sdpValue }

    /// The fingerprint of an `X509*` with the given hash function.
    static func of(x509: OpaquePointer, algorithm: Algorithm) -> DTLSFingerprint? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(x509, algorithm.evp, &digest, &length) == 1,
              Int(length) == algorithm.length else { return nil }
        return DTLSFingerprint(algorithm: algorithm, bytes: Array(digest.prefix(Int(length))))
    }

    /// The fingerprint of a DER-encoded certificate (for example one a peer
    /// presented) with sha-256, sha-384 or sha-512. Nil if the DER does not parse.
    public static func of(derCertificate der: [UInt8], algorithm: Algorithm = .sha256) -> DTLSFingerprint? {
        der.withUnsafeBufferPointer { buffer -> DTLSFingerprint? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let x509 = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            defer { X509_free(x509) }
            return of(x509: x509, algorithm: algorithm)
        }
    }

    /// RFC 8122 §5: of the fingerprints the peer signalled, keep those using the
    /// strongest hash function we support; the certificate must match one of them.
    /// Returns the certificate's fingerprint with that function and whether it matched.
    static func check(x509: OpaquePointer, against expected: [DTLSFingerprint]) -> (matched: Bool, actual: DTLSFingerprint?) {
        guard let strongest = expected.map(\.algorithm).max(),
              let actual = of(x509: x509, algorithm: strongest) else { return (false, nil) }
        return (expected.contains(actual), actual)
    }
}

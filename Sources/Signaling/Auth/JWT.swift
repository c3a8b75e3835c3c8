import COpenSSL
import Foundation
import JSON

/// HS256 JSON Web Tokens (RFC 7519) signed with OpenSSL's HMAC-SHA-256.
///
/// Only `HS256` is accepted: a token whose header names any other algorithm
/// (`none`, `HS512`, `RS256`, …) is rejected before its signature is looked
/// at, which closes the algorithm-confusion family of attacks.
public struct JWTSigner: Sendable {
    private let key: [UInt8]

    public init(secret: [UInt8]) {
        precondition(!secret.isEmpty, "JWT secret must not be empty")
        key = secret
    }

    /// The NumericDate values (`exp`, `nbf`) a token may carry: the Unix
    /// epoch to the end of year 9999. Anything else is malformed, so no
    /// arithmetic on a claim can overflow.
    public static let timeRange: ClosedRange<Int64> = 0...253_402_300_799

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unsupportedAlgorithm(String)
        case badSignature
        case expired
        case notYetValid

        public var description: String {
            switch self {
            case .malformed(let why): return "malformed token: \(why)"
            case .unsupportedAlgorithm(let a): return "unsupported token algorithm '\(a)'"
            case .badSignature: return "token signature is invalid"
            case .expired: return "token has expired"
            case .notYetValid: return "token is not valid yet"
            }
        }
    }

    /// Signs `claims` (a JSON object) into a compact JWT. `type` is the
    /// header's `typ`: "JWT" for API access tokens, another value for
    /// tokens of another purpose (recording downloads), so that one kind is
    /// never accepted where the other is expected.
    public func sign(_ claims: JSON, type: String = "JWT") -> String {
        let header: JSON = ["alg": "HS256", "typ": .string(type)]
        let input = Base64URL.encode(header.bytes) + "." + Base64URL.encode(claims.bytes)
        return input + "." + Base64URL.encode(mac(Array(input.utf8)))
    }

    /// Verifies a compact JWT and returns its claims. `now` is Unix seconds.
    /// The header's `typ` must be `type` ("JWT" may also be absent).
    public func verify(_ token: String, now: Int64, leeway: Int64 = 30, type: String = "JWT") throws(Failure) -> JSON {
        if token.utf8.count > 8192 { throw .malformed("too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("expected three parts") }
        guard let headerBytes = Base64URL.decode(String(parts[0])),
              let header = try? JSON.parse(headerBytes), header.objectValue != nil else { throw .malformed("bad header") }
        guard let alg = header["alg"]?.stringValue else { throw .malformed("missing alg") }
        guard alg == "HS256" else { throw .unsupportedAlgorithm(alg) }
        let typ = header["typ"]?.stringValue
        if type == "JWT" {
            if let typ, typ.uppercased() != "JWT" { throw .malformed("typ is '\(typ.prefix(40))', not JWT") }
        } else if typ != type {
            throw .malformed("typ is not \(type)")
        }
        guard let sig = Base64URL.decode(String(parts[2])), sig.count == 32 else { throw .badSignature }
        let expected = mac(Array((parts[0] + "." + parts[1]).utf8))
        let equal = sig.withUnsafeBytes { a in expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 } }
        guard equal else { throw .badSignature }
        guard let payloadBytes = Base64URL.decode(String(parts[1])),
              let claims = try? JSON.parse(payloadBytes), claims.objectValue != nil else { throw .malformed("bad payload") }
        guard let exp = claims["exp"]?.intValue else { throw .malformed("missing exp") }
        guard JWTSigner.timeRange.contains(exp) else { throw .malformed("exp is outside \(JWTSigner.timeRange)") }
        let nbf = claims["nbf"]?.intValue
        if let nbf, !JWTSigner.timeRange.contains(nbf) { throw .malformed("nbf is outside \(JWTSigner.timeRange)") }
        // Both sides are bounded now; the sums still saturate rather than trap.
        let (latest, late) = exp.addingReportingOverflow(leeway)
        if !late && now > latest { throw .expired }
        if let nbf {
            let (earliest, early) = now.addingReportingOverflow(leeway)
            if !early && earliest < nbf { throw .notYetValid }
        }
        return claims
    }

    private func mac(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 32
        _ = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.bindMemory(to: UInt8.self).baseAddress, d.count, &out, &len)
            }
        }
        return out
    }
}

/// Cryptographically secure random bytes (OpenSSL's RAND_bytes).
public func secureRandomBytes(_ n: Int) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: n)
    precondition(RAND_bytes(&b, Int32(n)) == 1, "RAND_bytes failed")
    return b
}

/// Base64url without padding (RFC 4648 §5), as JWTs use it.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ s: String) -> [UInt8]? {
        guard s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) else { return nil }
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if t.utf8.count % 4 == 1 { return nil }
        while t.utf8.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { Array($0) }
    }
}

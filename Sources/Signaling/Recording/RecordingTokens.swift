import Foundation
import HTTP
import JSON

/// The two kinds of recording download tokens, HS256 JWTs signed with the
/// server's key but with their own header `typ` and audience, so neither is
/// ever accepted as an API bearer token, nor an API token as either of them:
/// - credentials (`/credentials`): lists and fetches every asset of one recording;
/// - download (`/download`): fetches one asset.
/// Expiry is checked without leeway (a `ttl=1s` token is dead after a second).
struct RecordingTokens: Sendable {
    enum Kind: String, Sendable {
        case credentials = "sfu-recording-credentials+jwt"
        case download = "sfu-recording-download+jwt"

        var audience: String { self == .credentials ? "sfu:recording-credentials" : "sfu:recording-download" }
    }

    /// What a valid token grants.
    struct Grant: Equatable, Sendable {
        var kind: Kind
        var channel: String
        var recordingId: String
        /// Download tokens only: the one asset.
        var assetId: String?
        var expires: Int64
    }

    let auth: Authenticator

    func issue(_ kind: Kind, channel: String, recordingId: String, assetId: String? = nil, ttl: Int64, subject: String) -> (token: String, expires: Int64) {
        let now = Int64(Date().timeIntervalSince1970)
        var claims: [String: JSON] = [
            "aud": .string(kind.audience), "iss": "sfu", "sub": .string(subject),
            "iat": .int(now), "exp": .int(now + ttl), "jti": .string(UUID().uuidString.lowercased()),
            "channel": .string(channel), "recording": .string(recordingId),
        ]
        if let assetId { claims["asset"] = .string(assetId) }
        return (auth.sign(.object(claims), type: kind.rawValue), now + ttl)
    }

    /// The grant of `token` if it is a valid, unexpired token of `kind`; else 401.
    func verify(_ token: String, as kind: Kind) throws(HTTPError) -> Grant {
        let claims: JSON
        do {
            claims = try auth.verifyClaims(token, type: kind.rawValue, leeway: 0)
        } catch {
            throw HTTPError(401, "INVALID_TOKEN", "not a valid recording \(kind == .credentials ? "credentials" : "download") token: \(error.description)")
        }
        guard claims["aud"]?.stringValue == kind.audience,
              let channel = claims["channel"]?.stringValue, let recording = claims["recording"]?.stringValue,
              let exp = claims["exp"]?.intValue else {
            throw HTTPError(401, "INVALID_TOKEN", "the token is not a recording \(kind == .credentials ? "credentials" : "download") token")
        }
        let asset = claims["asset"]?.stringValue
        if kind == .download && asset == nil { throw HTTPError(401, "INVALID_TOKEN", "the download token names no asset") }
        return Grant(kind: kind, channel: channel, recordingId: recording, assetId: asset, expires: exp)
    }
}

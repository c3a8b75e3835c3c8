import HTTP

/// An ICE server (STUN or TURN) as WHIP/WHEP hand it to clients in
/// `Link: <url>; rel="ice-server"` headers (RFC 9725 §4.6), so an encoder
/// behind NAT learns the relays the operator configured.
public struct WHIPIceServer: Sendable, Equatable {
    /// `stun:host:port`, `turn:host:port?transport=udp`, `turns:...`.
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    /// One `Link` header value per URL (RFC 8288 link-values; quoted parameters escape `"` and `\`).
    public var linkValues: [String] {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return urls.map { url in
            var v = "<\(url)>; rel=\"ice-server\""
            if let username, let credential {
                v += "; username=\(quoted(username)); credential=\(quoted(credential)); credential-type=\"password\""
            }
            return v
        }
    }
}

/// How the WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) faces behave.
public struct WHIPOptions: Sendable {
    /// A SERVICE token's first `POST /whip/{id}` to an unknown conference creates it (`--whip-create-conferences`).
    public var createConferences = false
    /// The ICE servers announced on every new session, asked at each `POST`
    /// (so rotating TURN credentials are always fresh).
    public var iceServers: @Sendable () -> [WHIPIceServer] = { [] }
    /// WHIP and WHEP sessions held at once (503 beyond).
    public var maxSessions = 10_000

    public init() {}
}

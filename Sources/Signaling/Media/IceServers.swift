import COpenSSL
import Foundation
import JSON

/// One STUN or TURN server URL as clients take it (RFC 7064 `stun:`, RFC 7065
/// `turn:`/`turns:`), checked at start-up so a typo fails the server, not
/// every browser's `RTCPeerConnection` constructor.
///
///     stun:stun.example.net[:3478]
///     turn:turn.example.net[:3478][?transport=udp|tcp]
///     turns:turn.example.net[:5349][?transport=tcp]
public struct IceServerURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable { case stun, stuns, turn, turns }
    public let scheme: Scheme
    /// A DNS name, an IPv4 address, or an IPv6 address without brackets.
    public let host: String
    public let port: UInt16?
    /// `udp` or `tcp` when the URL names one (TURN only).
    public let transport: String?

    /// TURN URLs carry credentials; STUN URLs do not.
    public var isTURN: Bool { scheme == .turn || scheme == .turns }

    /// The URL as given to clients (normalized: lower-case scheme and transport).
    public var description: String {
        var s = scheme.rawValue + ":" + (host.contains(":") ? "[\(host)]" : host)
        if let port { s += ":\(port)" }
        if let transport { s += "?transport=\(transport)" }
        return s
    }

    public init(parsing text: String) throws(ConfigError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let colon = t.firstIndex(of: ":"), let scheme = Scheme(rawValue: t[..<colon].lowercased()) else {
            throw ConfigError("ICE server '\(text)' must start with stun:, stuns:, turn: or turns:")
        }
        var rest = Substring(t[t.index(after: colon)...])
        if rest.hasPrefix("//") {
            throw ConfigError("ICE server '\(text)': write \(scheme.rawValue):HOST[:PORT] without '//' (RFC 7064/7065)")
        }
        var transport: String?
        if let q = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: q)...].lowercased()
            rest = rest[..<q]
            guard scheme == .turn || scheme == .turns else {
                throw ConfigError("ICE server '\(text)': a \(scheme.rawValue): URL takes no query (only turn: and turns: take ?transport=)")
            }
            guard query.hasPrefix("transport="), ["udp", "tcp"].contains(String(query.dropFirst("transport=".count))) else {
                throw ConfigError("ICE server '\(text)': the only query is ?transport=udp or ?transport=tcp")
            }
            transport = String(query.dropFirst("transport=".count))
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ConfigError("ICE server '\(text)': unclosed '[' in the IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ConfigError("ICE server '\(text)': expected ':PORT' after ']'") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw ConfigError("ICE server '\(text)': '[\(host)]' is not an IPv6 address")
            }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw ConfigError("ICE server '\(text)': put an IPv6 address in brackets, e.g. turn:[2001:db8::1]:3478") }
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
            guard !host.isEmpty, host.count <= 253, host.allSatisfy({ allowed.contains($0) }) else {
                throw ConfigError("ICE server '\(text)': '\(host)' is not a host name or address")
            }
        }
        var port: UInt16?
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw ConfigError("ICE server '\(text)': port must be 1-65535") }
            port = p
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.transport = transport
    }
}

/// One entry of `RTCConfiguration.iceServers` (W3C `RTCIceServer`): what a
/// client needs to use a STUN or TURN server.
public struct IceServer: Sendable, Equatable {
    public let urls: [String]
    public let username: String?
    public let credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    /// `{"urls": [...], "username": ..., "credential": ...}`.
    public var json: JSON {
        var o: [String: JSON] = ["urls": .array(urls.map { .string($0) })]
        if let username { o["username"] = .string(username) }
        if let credential { o["credential"] = .string(credential) }
        return .object(o)
    }

    /// One `Link` header value per URL, as WHIP/WHEP (RFC 9725 §4.6) hands
    /// ICE servers to clients:
    /// `<turn:h:3478?transport=udp>; rel="ice-server"; username="u"; credential="c"; credential-type="password"`.
    public var linkHeaderValues: [String] {
        urls.map { url in
            var v = "<\(url)>; rel=\"ice-server\""
            if let username { v += "; username=\(IceServer.quoted(username))" }
            if let credential { v += "; credential=\(IceServer.quoted(credential)); credential-type=\"password\"" }
            return v
        }
    }

    /// An RFC 9110 quoted-string.
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The operator's ICE servers for clients (`--ice-server`, repeatable) and
/// how their TURN credentials are made: none, one static username and
/// credential, or coturn's `use-auth-secret` shared secret, from which every
/// caller gets its own time-limited credential (the "TURN REST API"
/// convention: username `EXPIRY:USER`, credential
/// base64(HMAC-SHA1(secret, username)), checked by the TURN server without
/// asking us). The server hands the list out at `GET /rtc-api/iceServers`
/// and in WHIP/WHEP `Link: rel="ice-server"` headers.
///
///     let config = try IceServerConfig(urls: ["stun:turn.example.net", "turn:turn.example.net?transport=udp"],
///                                      credentials: .sharedSecret(Array("s3cret".utf8), ttl: 86400))
///     config.iceServers(for: principal)   // [{urls:[stun:…]}, {urls:[turn:…], username:"1765...:alice", credential:"…"}]
public struct IceServerConfig: Sendable {
    /// How TURN URLs get their username and credential.
    public enum Credentials: Sendable {
        case none
        case fixed(username: String, credential: String)
        /// coturn `static-auth-secret`; credentials live `ttl` seconds.
        case sharedSecret([UInt8], ttl: Int64)
    }

    public let urls: [IceServerURL]
    public let credentials: Credentials

    /// No ICE servers: clients use host candidates only (the default).
    public static let none = IceServerConfig(validated: [], credentials: .none)

    public var isEmpty: Bool { urls.isEmpty }

    public init(urls: [String], credentials: Credentials) throws(ConfigError) {
        var parsed: [IceServerURL] = []
        for u in urls { parsed.append(try IceServerURL(parsing: u)) }
        switch credentials {
        case .none:
            if parsed.contains(where: \.isTURN) {
                throw ConfigError("a turn: or turns: ICE server needs credentials: --turn-secret, or --ice-server-username and --ice-server-credential")
            }
        case .fixed(let username, let credential):
            guard !username.isEmpty, !credential.isEmpty else { throw ConfigError("--ice-server-username and --ice-server-credential must both be set") }
        case .sharedSecret(let secret, let ttl):
            guard !secret.isEmpty, secret.count <= 4096 else { throw ConfigError("--turn-secret must be 1-4096 bytes") }
            guard ttl >= 60 else { throw ConfigError("--turn-credential-ttl must be at least 60 seconds") }
        }
        self.init(validated: parsed, credentials: credentials)
    }

    private init(validated: [IceServerURL], credentials: Credentials) {
        self.urls = validated
        self.credentials = credentials
    }

    /// The `iceServers` a client of `principal` should use: one entry with
    /// the STUN URLs, one with the TURN URLs and that caller's credential.
    public func iceServers(for principal: Principal, now: Int64 = Int64(Date().timeIntervalSince1970)) -> [IceServer] {
        var out: [IceServer] = []
        let stun = urls.filter { !$0.isTURN }.map(\.description)
        if !stun.isEmpty { out.append(IceServer(urls: stun)) }
        let turn = urls.filter(\.isTURN).map(\.description)
        if !turn.isEmpty {
            switch credentials {
            case .none:
                out.append(IceServer(urls: turn))
            case .fixed(let username, let credential):
                out.append(IceServer(urls: turn, username: username, credential: credential))
            case .sharedSecret(let secret, let ttl):
                let username = IceServerConfig.restUsername(expiry: now + ttl, user: principal.subject)
                out.append(IceServer(urls: turn, username: username,
                                     credential: IceServerConfig.restCredential(secret: secret, username: username)))
            }
        }
        return out
    }

    /// `{"iceServers": [...]}`, the body of `GET /rtc-api/iceServers`.
    public func json(for principal: Principal, now: Int64 = Int64(Date().timeIntervalSince1970)) -> JSON {
        .object(["iceServers": .array(iceServers(for: principal, now: now).map(\.json))])
    }

    /// Every `Link: rel="ice-server"` header value for a WHIP/WHEP answer to
    /// `principal` (RFC 9725 §4.6), one per URL.
    public func linkHeaderValues(for principal: Principal, now: Int64 = Int64(Date().timeIntervalSince1970)) -> [String] {
        iceServers(for: principal, now: now).flatMap(\.linkHeaderValues)
    }

    /// `EXPIRY:USER`, the user part without colons (coturn splits at the first one).
    public static func restUsername(expiry: Int64, user: String) -> String {
        let cleaned = String(user.prefix(128).map { $0 == ":" ? "_" : $0 })
        return "\(expiry):\(cleaned.isEmpty ? "anonymous" : cleaned)"
    }

    /// base64(HMAC-SHA1(secret, username)), the password coturn derives for
    /// `username` under `use-auth-secret`.
    public static func restCredential(secret: [UInt8], username: String) -> String {
        var out = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 20
        let data = Array(username.utf8)
        _ = secret.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(EVP_sha1(), k.baseAddress, Int32(k.count), d.bindMemory(to: UInt8.self).baseAddress, d.count, &out, &len)
            }
        }
        return Data(out.prefix(Int(len))).base64EncodedString()
    }
}

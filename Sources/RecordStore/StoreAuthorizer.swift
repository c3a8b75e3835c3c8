import HTTP

/// Decides whether a request may read or write a store. The stores do not
/// know about tokens or conferences (the dependency points from the
/// signaling side to the stores), so the executable supplies this: on a
/// loopback listener `LoopbackAccess`; on an exposed one (auth on) reads are
/// allowed to SERVICE tokens and to participants of the conference whose id
/// is the event, writes to SERVICE tokens only; with auth off `OpenAccess`.
public protocol StoreAuthorizer: Sendable {
    /// Throws 401 (no or bad credentials) or 403 (not allowed). `event` is
    /// the item's event, or nil for store-wide access (`/sse` without a filter).
    func authorize(_ request: HTTPRequest, event: String?, write: Bool) async throws(HTTPError)
}

/// The explicit "auth off" switch: everybody may do everything.
public struct OpenAccess: StoreAuthorizer {
    public init() {}
    public func authorize(_ request: HTTPRequest, event: String?, write: Bool) async throws(HTTPError) {}
}

/// Store access when the store listens on loopback only (`--store-listen`
/// 127.0.0.1, the default): local clients need no token, as the usage
/// documents' commands send none. Any other peer (which a loopback listener
/// cannot have) is refused, so a misconfigured listener fails closed.
public struct LoopbackAccess: StoreAuthorizer {
    public init() {}
    public func authorize(_ request: HTTPRequest, event: String?, write: Bool) async throws(HTTPError) {
        guard StoreListen.isLoopback(peer: request.remoteAddress) else {
            throw HTTPError(401, "UNAUTHORIZED", "this store serves loopback clients only")
        }
    }
}

/// Where a store listens, and whether that is loopback only.
public enum StoreListen {
    /// `127.0.0.0/8`, `::1`, `::ffff:127.x.x.x` or `localhost`.
    public static func isLoopback(host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        if h.hasPrefix("::ffff:") { h = String(h.dropFirst(7)) }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A peer as the HTTP server names it: `127.0.0.1:5000` or `[::1]:5000`.
    public static func isLoopback(peer: String) -> Bool {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return isLoopback(host: String(peer[peer.index(after: peer.startIndex)..<close]))
        }
        guard let colon = peer.lastIndex(of: ":") else { return false }
        return isLoopback(host: String(peer[..<colon]))
    }
}

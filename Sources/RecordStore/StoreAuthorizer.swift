import HTTP

/// Decides whether a request may read or write a store. The stores do not
/// know about tokens or conferences (the dependency points from the
/// signaling side to the stores), so the executable supplies this: with auth
/// on, reads are allowed to SERVICE tokens and to participants of the
/// conference whose id is the event; writes to SERVICE tokens only.
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

/// How the WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) faces behave
/// (their ICE servers are the API's `IceServerConfig`, `--ice-server`).
public struct WHIPOptions: Sendable {
    /// A SERVICE token's first `POST /whip/{id}` to an unknown conference creates it (`--whip-create-conferences`).
    public var createConferences = false
    /// WHIP and WHEP sessions held at once (503 beyond).
    public var maxSessions = 10_000

    public init() {}
}

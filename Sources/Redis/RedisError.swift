/// Why a Redis call did not produce a reply. The API layer maps `unavailable`,
/// `timeout`, `connectionLost` and `overloaded` to 503 with `description` as
/// the message; `server` is Redis's own error reply (`-ERR …`).
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not connected (connecting failed, or waiting before the next attempt):
    /// the call was not sent and failed at once.
    case unavailable(String)
    /// No reply within the call's timeout, in seconds. The command may still
    /// have run on the server.
    case timeout(Double)
    /// The connection closed while the call was in flight: it may or may not have run.
    case connectionLost(String)
    /// Too many calls queued or too many bytes waiting to be sent.
    case overloaded(String)
    /// The server answered with an error reply.
    case server(String)
    /// The client was closed.
    case closed
    /// A reply of a shape the caller did not expect.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return "Redis unavailable: \(why)"
        case .timeout(let s): return "Redis did not answer within \(s) s"
        case .connectionLost(let why): return "Redis connection lost during the call: \(why)"
        case .overloaded(let why): return "Redis client overloaded: \(why)"
        case .server(let m): return "Redis error: \(m)"
        case .closed: return "Redis client closed"
        case .unexpectedReply(let m): return "unexpected Redis reply: \(m)"
        }
    }
}

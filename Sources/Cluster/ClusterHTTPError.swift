import HTTP
import Redis

/// How cluster failures reach API callers: 503 with a message that says
/// what is wrong (Redis unreachable, slow, or this node fenced) and a
/// `Retry-After`, never a hang or a 500.
extension RedisError {
    public var httpError: HTTPError {
        var h = HTTPHeaders()
        h.add("Retry-After", "1")
        switch self {
        case .server(let m):
            return HTTPError(500, "CLUSTER_STORE_ERROR", "Redis refused the operation: \(m)")
        case .unexpectedReply:
            return HTTPError(500, "CLUSTER_STORE_ERROR", description)
        default:
            return HTTPError(503, "CLUSTER_UNAVAILABLE", description, headers: h)
        }
    }
}

extension ClusterHealth {
    /// nil while this node holds a live lease; else the 503 that refuses new work.
    public var admissionError: HTTPError? {
        if acceptingWork { return nil }
        var h = HTTPHeaders()
        h.add("Retry-After", "1")
        let why = lastError.map { " (\($0))" } ?? ""
        let redisState = redis.state == .connected ? "connected" : "\(redis.state.rawValue)\(redis.lastError.map { ": \($0)" } ?? "")"
        return HTTPError(503, "CLUSTER_UNAVAILABLE",
                         "node \(nodeId) is \(state.rawValue)\(why): it takes no new work until it holds its cluster lease again (Redis \(redisEndpoint) \(redisState))",
                         headers: h)
    }
}

import JSON
import Redis

/// A node as last listed from Redis.
public struct ClusterNodeInfo: Sendable, Equatable {
    public var id: String
    public var epoch: Int64
    public var api: String
    /// Start and last heartbeat, ms since 1970 (Redis clock).
    public var started: Int64
    public var heartbeat: Int64
    /// Lease left when listed, seconds.
    public var leaseRemaining: Double
    public var load: NodeLoad
}

/// The cluster state of this node, built from local memory only: `/healthz`
/// answers from it at once even when Redis is unreachable.
public struct ClusterHealth: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Taking a lease (first start, or after being fenced).
        case joining
        /// Holds a live lease: may take new work.
        case active
        /// No valid lease (expired locally, or Redis said FENCED): takes no new work; media already flowing goes on.
        case fenced
        /// Gave the lease up (shutdown).
        case left
    }
    public var state: State
    public var nodeId: String
    public var epoch: Int64
    public var redis: RedisClient.Status
    public var redisEndpoint: String
    public var leaseTTL: Double
    /// Seconds since the last successful renewal (nil before the first lease).
    public var leaseAge: Double?
    /// Seconds the lease is known to last at most (0 when fenced).
    public var leaseRemaining: Double
    public var nodes: [ClusterNodeInfo]
    /// Seconds since `nodes` was read from Redis.
    public var nodesAge: Double?
    public var lastError: String?
    public var renewals: Int
    public var fencings: Int

    public var acceptingWork: Bool { state == .active }

    public var json: JSON {
        var o: [String: JSON] = [
            "state": .string(state.rawValue),
            "acceptingWork": .bool(acceptingWork),
            "nodeId": .string(nodeId),
            "epoch": .int(epoch),
            "leaseTtlSeconds": .double(leaseTTL),
            "leaseRemainingSeconds": .double(rounded(leaseRemaining)),
            "renewals": .int(Int64(renewals)),
            "fencings": .int(Int64(fencings)),
            "redis": [
                "endpoint": .string(redisEndpoint),
                "state": .string(redis.state.rawValue),
                "reconnects": .int(Int64(redis.reconnects)),
                "latencySeconds": .double(rounded(redis.lastLatency, 6)),
                "lastError": redis.lastError.map(JSON.string) ?? .null,
            ],
            "nodes": .array(nodes.map { n in
                [
                    "id": .string(n.id), "epoch": .int(n.epoch), "api": .string(n.api),
                    "started": .int(n.started), "heartbeat": .int(n.heartbeat),
                    "leaseRemainingSeconds": .double(rounded(n.leaseRemaining)),
                    "transports": .int(Int64(n.load.transports)),
                    "forwardedPacketsPerSecond": .double(rounded(n.load.forwardedPacketsPerSecond)),
                    "cpuCores": .double(rounded(n.load.cpuCores)),
                ]
            }),
        ]
        o["leaseAgeSeconds"] = leaseAge.map { .double(rounded($0)) } ?? .null
        o["nodesAgeSeconds"] = nodesAge.map { .double(rounded($0)) } ?? .null
        o["lastError"] = lastError.map(JSON.string) ?? .null
        return .object(o)
    }

    private func rounded(_ v: Double, _ digits: Int = 3) -> Double {
        guard v.isFinite else { return 0 }
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        return (v * p).rounded() / p
    }
}

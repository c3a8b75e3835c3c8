/// The Redis keys of the cluster (docs/CLUSTER.md lists them). One prefix
/// (`sfu:` by default) so several clusters can share a Redis database.
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String
    public init(prefix: String = "sfu:") { self.prefix = prefix }

    /// Counter: every lease takes the next value as its fencing epoch.
    public var epoch: String { prefix + "epoch" }
    /// Sorted set: node id → lease expiry (ms, Redis clock).
    public var nodes: String { prefix + "nodes" }
    /// String: the node's current epoch, with the lease TTL. Its absence fences the node.
    public func lease(_ node: String) -> String { prefix + "lease:" + node }
    /// Hash: the node's address, epoch, start time, last heartbeat and load; same TTL as the lease.
    public func node(_ node: String) -> String { prefix + "node:" + node }
    /// Key prefix of the node hashes (for scripts that list nodes).
    public var nodePrefix: String { prefix + "node:" }
    /// Counter: a conference's version (gap-free across nodes).
    public func conferenceVersion(_ id: String) -> String { prefix + "conf:" + id + ":version" }
    /// Stream: a conference's event log, one entry per version.
    public func conferenceEvents(_ id: String) -> String { prefix + "conf:" + id + ":events" }
}

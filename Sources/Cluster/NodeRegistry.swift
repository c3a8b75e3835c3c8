import Foundation
import Glibc
import Redis

/// This node's membership of the cluster: a lease in Redis with a fencing
/// epoch, renewed by a heartbeat that carries the node's load, and the list
/// of live nodes. The lease is judged locally too: the node counts itself
/// fenced once `leaseTTL` has passed since the last renewal it *sent*, which
/// is never later than Redis expires the key (docs/CLUSTER.md, "Leases").
public final class NodeRegistry: Sendable {
    public struct Configuration: Sendable {
        public var endpoint: RedisEndpoint
        public var nodeId: String
        /// Where this node's API is reached (listed for the other nodes).
        public var apiURL: String
        /// Lease time to live, seconds; a node killed with -9 disappears within it.
        public var leaseTTL: Double = 5
        /// Seconds between heartbeats (default: a fifth of the TTL, so four may be lost).
        public var heartbeatInterval: Double?
        public var keys = ClusterKeys()
        public init(endpoint: RedisEndpoint, nodeId: String, apiURL: String) {
            self.endpoint = endpoint
            self.nodeId = nodeId
            self.apiURL = apiURL
        }
        var interval: Double { heartbeatInterval ?? max(0.05, leaseTTL / 5) }
        /// One Redis call may take at most this long: an iteration stays well inside the TTL.
        var callTimeout: Double { min(1, max(0.05, leaseTTL / 5)) }
    }

    public struct ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        /// True when Redis refused the write because this node's lease is gone.
        public let fenced: Bool
    }

    private struct Shared {
        var state: ClusterHealth.State = .joining
        var epoch: Int64 = 0
        var lastRenewal: UInt64?
        var validUntil: UInt64 = 0
        var nodes: [ClusterNodeInfo] = []
        var nodesAt: UInt64?
        var lastError: String?
        var renewals = 0
        var fencings = 0
        var stopped = false
    }

    public let configuration: Configuration
    public let redis: RedisClient
    private let load: @Sendable () async -> NodeLoad
    private let lock = NSLock()
    nonisolated(unsafe) private var shared = Shared()
    private let startedMs = Int64(Date().timeIntervalSince1970 * 1000)
    private let log: @Sendable (String) -> Void

    public init(configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in },
                load: @escaping @Sendable () async -> NodeLoad) {
        self.configuration = configuration
        self.load = load
        self.log = log
        var rc = RedisClient.Configuration(endpoint: configuration.endpoint)
        rc.commandTimeout = configuration.callTimeout
        rc.connectTimeout = configuration.callTimeout
        rc.backoff = Backoff(initial: 0.05, maximum: min(2, configuration.leaseTTL / 2))
        rc.name = "redis-cluster"
        rc.log = { log("cluster: \($0)") }
        redis = RedisClient(configuration: rc)
    }

    /// Starts the heartbeat task.
    public func start() {
        Task.detached { [self] in await self.run() }
    }

    /// The current state from local memory: never waits for Redis.
    public func health() -> ClusterHealth {
        let now = monotonicNanos()
        lock.lock()
        var s = shared
        if s.state == .active && now >= s.validUntil { s.state = .fenced }
        lock.unlock()
        return ClusterHealth(
            state: s.state, nodeId: configuration.nodeId, epoch: s.epoch, redis: redis.status,
            redisEndpoint: configuration.endpoint.description, leaseTTL: configuration.leaseTTL,
            leaseAge: s.lastRenewal.map { Double(now &- $0) / 1e9 },
            leaseRemaining: s.state == .active ? Double(s.validUntil - now) / 1e9 : 0,
            nodes: s.nodes, nodesAge: s.nodesAt.map { Double(now &- $0) / 1e9 },
            lastError: s.lastError, renewals: s.renewals, fencings: s.fencings)
    }

    /// Gives the lease up so the other nodes see this one leave at once (graceful shutdown).
    public func leave() async {
        let (epoch, state) = withShared { s -> (Int64, ClusterHealth.State) in
            s.stopped = true
            let r = (s.epoch, s.state)
            s.state = .left
            return r
        }
        guard epoch > 0, state == .active else { redis.close(); return }
        let k = configuration.keys, id = configuration.nodeId
        _ = try? await ClusterScripts.leave.run(on: redis, keys: [.text(k.lease(id)), .text(k.node(id)), .text(k.nodes)],
                                                args: [.text(id), .int(epoch)])
        log("cluster: node \(id) left (epoch \(epoch))")
        redis.close()
    }

    /// Appends a conference event with the next gap-free version — refused
    /// (`fenced`) unless this node holds its lease, checked by Redis itself.
    public func appendEvent(conference: String, event: String) async throws(ClusterError) -> Int64 {
        let h = health()
        guard h.state == .active else { throw ClusterError(description: "node \(configuration.nodeId) is \(h.state.rawValue): it holds no cluster lease", fenced: true) }
        let k = configuration.keys
        do throws(RedisError) {
            let v = try await ClusterScripts.appendEvent.run(
                on: redis, keys: [.text(k.lease(configuration.nodeId)), .text(k.conferenceVersion(conference)), .text(k.conferenceEvents(conference))],
                args: [.text(configuration.nodeId), .int(h.epoch), .text(event)])
            guard let n = v.int else { throw RedisError.unexpectedReply("\(v)") }
            return n
        } catch {
            if case .server(let m) = error, m.hasPrefix("FENCED") {
                fence("Redis refused a write: \(m)")
                throw ClusterError(description: m, fenced: true)
            }
            throw ClusterError(description: error.description, fenced: false)
        }
    }

    // MARK: - Heartbeat

    private func withShared<T>(_ f: (inout Shared) -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return f(&shared)
    }

    private func run() async {
        while !withShared({ $0.stopped }) {
            let sent = monotonicNanos()
            await beat(sent: sent)
            let elapsed = Double(monotonicNanos() &- sent) / 1e9
            let pause = max(0.01, configuration.interval - elapsed)
            try? await Task.sleep(nanoseconds: UInt64(pause * 1e9))
        }
    }

    private func beat(sent: UInt64) async {
        let c = configuration
        let k = c.keys
        let l = await load()
        let loadArgs: [RedisArgument] = [.int(Int64(l.transports)), .text(String(format: "%.1f", l.forwardedPacketsPerSecond)), .text(String(format: "%.3f", l.cpuCores))]
        let ttlMs = Int64(c.leaseTTL * 1000)
        let (state, epoch, expiredNow) = withShared { s -> (ClusterHealth.State, Int64, Bool) in
            var expired = false
            if s.state == .active && sent >= s.validUntil {
                s.state = .fenced
                s.fencings += 1
                s.lastError = "lease expired locally: no renewal for \(c.leaseTTL) s" + (s.lastError.map { " (\($0))" } ?? "")
                expired = true
            }
            return (s.state, s.epoch, expired)
        }
        if state == .left { return }
        if expiredNow { log("cluster: node \(c.nodeId) fenced: \(withShared { $0.lastError ?? "" }); takes no new work until it holds a lease again") }
        if state == .active {
            do {
                _ = try await ClusterScripts.renew.run(on: redis, keys: [.text(k.lease(c.nodeId)), .text(k.node(c.nodeId)), .text(k.nodes)],
                                                       args: [.text(c.nodeId), .int(epoch), .int(ttlMs)] + loadArgs, timeout: c.callTimeout)
                withShared { s in
                    guard s.state == .active, s.epoch == epoch else { return }
                    s.lastRenewal = sent
                    s.validUntil = sent &+ UInt64(c.leaseTTL * 1e9)
                    s.renewals += 1
                    s.lastError = nil
                }
            } catch {
                if case .server(let m) = error, m.hasPrefix("FENCED") {
                    fence("Redis says the lease is gone (expired or retaken)")
                } else {
                    withShared { $0.lastError = "renewal failed: \(error)" }
                }
            }
        } else {
            do {
                let v = try await ClusterScripts.acquire.run(
                    on: redis, keys: [.text(k.lease(c.nodeId)), .text(k.node(c.nodeId)), .text(k.nodes), .text(k.epoch)],
                    args: [.text(c.nodeId), .int(ttlMs), .text(c.apiURL), .int(startedMs)] + loadArgs + [.int(epoch)], timeout: c.callTimeout)
                guard let e = v.int else { throw RedisError.unexpectedReply("\(v)") }
                withShared { s in
                    guard !s.stopped else { return } // left meanwhile: this lease just expires
                    s.state = .active
                    s.epoch = e
                    s.lastRenewal = sent
                    s.validUntil = sent &+ UInt64(c.leaseTTL * 1e9)
                    s.lastError = nil
                }
                log("cluster: node \(c.nodeId) holds its lease with epoch \(e) (TTL \(c.leaseTTL) s) in \(c.endpoint)")
            } catch {
                let why = "joining failed: \(error)"
                let changed = withShared { s -> Bool in let ch = s.lastError != why; s.lastError = why; return ch }
                if changed { log("cluster: \(why)") }
                return
            }
        }
        await listNodes()
    }

    private func fence(_ reason: String) {
        let changed = withShared { s -> Bool in
            guard s.state == .active else { return false }
            s.state = .fenced
            s.fencings += 1
            s.lastError = reason
            return true
        }
        if changed { log("cluster: node \(configuration.nodeId) fenced: \(reason); takes no new work until it holds a lease again") }
    }

    private func listNodes() async {
        let k = configuration.keys
        guard let reply = try? await ClusterScripts.listNodes.run(on: redis, keys: [.text(k.nodes)], args: [.text(k.nodePrefix)], timeout: configuration.callTimeout),
              let top = reply.elements, top.count == 2, let now = top[0].int, let list = top[1].elements else { return }
        var nodes: [ClusterNodeInfo] = []
        for entry in list {
            guard let e = entry.elements, e.count == 3, let id = e[0].string, let expiry = e[1].string.flatMap(Double.init) else { continue }
            let f = e[2].stringMap ?? [:]
            guard !f.isEmpty else { continue } // the hash expired a moment before the zset entry
            nodes.append(ClusterNodeInfo(
                id: id, epoch: f["epoch"].flatMap { Int64($0) } ?? 0, api: f["api"] ?? "",
                started: f["started"].flatMap { Int64($0) } ?? 0, heartbeat: f["heartbeat"].flatMap { Int64($0) } ?? 0,
                leaseRemaining: max(0, (expiry - Double(now)) / 1000),
                load: NodeLoad(transports: f["transports"].flatMap { Int($0) } ?? 0,
                               forwardedPacketsPerSecond: f["pps"].flatMap { Double($0) } ?? 0,
                               cpuCores: f["cpu"].flatMap { Double($0) } ?? 0)))
        }
        let at = monotonicNanos()
        withShared { $0.nodes = nodes; $0.nodesAt = at }
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

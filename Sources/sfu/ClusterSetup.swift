import Foundation
import Cluster
import HTTP
import JSON
import Redis
import RTPRouter
import Signaling

/// Cluster mode (`--cluster`): the settings checked at start-up, then the
/// node registry started once the API listens, its metrics and its health
/// block. With no `--cluster` none of this runs and nothing touches Redis.
struct ClusterPlan {
    let endpoint: RedisEndpoint
    let nodeId: String
    let leaseTTL: Double
    let advertise: String?

    /// nil when cluster mode is off.
    static func parse(_ settings: Settings, dataDir: String) throws -> ClusterPlan? {
        guard let url = settings.optional("--cluster"), !url.isEmpty else { return nil }
        let endpoint: RedisEndpoint
        do { endpoint = try RedisEndpoint.parse(url) } catch { throw ConfigError("--cluster: \(error)") }
        let nodeId: String
        do { nodeId = try NodeIdentity.load(given: settings.optional("--node-id"), dataDirectory: dataDir) } catch { throw ConfigError("\(error)") }
        let ttl = try settings.seconds("--cluster-lease")
        guard ttl >= 0.5, ttl <= 600 else { throw ConfigError("--cluster-lease must be between 0.5 and 600 seconds") }
        return ClusterPlan(endpoint: endpoint, nodeId: nodeId, leaseTTL: ttl, advertise: settings.optional("--cluster-advertise"))
    }

    /// Starts heartbeating; `media` (if any) supplies the load figures.
    func start(apiHost: String, apiPort: Int, media: RouterMedia?, into holder: ClusterHolder) -> NodeRegistry {
        let host = apiHost == "0.0.0.0" || apiHost == "::" ? (ProcessInfo.processInfo.hostName) : apiHost
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var config = NodeRegistry.Configuration(endpoint: endpoint, nodeId: nodeId, apiURL: advertise ?? "http://\(shownHost):\(apiPort)")
        config.leaseTTL = leaseTTL
        let meter = LoadMeter()
        let registry = NodeRegistry(configuration: config, log: { Log.info($0) }) {
            var transports = 0
            var forwarded: UInt64 = 0
            if let media {
                for s in await media.stats() { transports += s.transports; forwarded &+= s.rtpOut }
            }
            meter.sample(transports: transports, forwardedTotal: forwarded, cpuSeconds: Metrics.processCPUSeconds() ?? 0,
                         now: Date().timeIntervalSinceReferenceDate)
            return meter.load
        }
        holder.set(registry)
        registry.start()
        ClusterPlan.registerMetrics(registry)
        Log.info("cluster: node \(nodeId) joining \(endpoint) (lease TTL \(leaseTTL) s, API advertised as \(config.apiURL))")
        return registry
    }

    static func registerMetrics(_ registry: NodeRegistry) {
        let m = Metrics.shared
        m.describe("sfu_cluster_lease_age_seconds", type: "gauge", help: "seconds since this node last renewed its cluster lease")
        m.gauge("sfu_cluster_lease_age_seconds") { [([:], registry.health().leaseAge ?? -1)] }
        m.describe("sfu_cluster_lease_active", type: "gauge", help: "1 while this node holds a live lease and takes new work, 0 when joining or fenced")
        m.gauge("sfu_cluster_lease_active") { [([:], registry.health().acceptingWork ? 1 : 0)] }
        m.describe("sfu_cluster_epoch", type: "gauge", help: "fencing epoch of this node's current lease")
        m.gauge("sfu_cluster_epoch") { [([:], Double(registry.health().epoch))] }
        m.describe("sfu_cluster_fencings_total", type: "counter", help: "times this node lost its lease")
        m.gauge("sfu_cluster_fencings_total") { [([:], Double(registry.health().fencings))] }
        m.describe("sfu_cluster_nodes", type: "gauge", help: "live nodes in the last listing from Redis (this one included)")
        m.gauge("sfu_cluster_nodes") { [([:], Double(registry.health().nodes.count))] }
        m.describe("sfu_cluster_redis_latency_seconds", type: "gauge", help: "round trip of the most recent Redis call of the registry")
        m.gauge("sfu_cluster_redis_latency_seconds") { [([:], registry.redis.status.lastLatency)] }
        m.describe("sfu_cluster_redis_reconnects_total", type: "counter", help: "reconnections to Redis after a lost connection")
        m.gauge("sfu_cluster_redis_reconnects_total") { [([:], Double(registry.redis.status.reconnects))] }
        m.describe("sfu_cluster_redis_connected", type: "gauge", help: "1 while the connection to Redis is up")
        m.gauge("sfu_cluster_redis_connected") { [([:], registry.redis.status.state == .connected ? 1 : 0)] }
        m.describe("sfu_cluster_redis_failed_fast_total", type: "counter", help: "Redis calls refused at once because Redis was unreachable")
        m.gauge("sfu_cluster_redis_failed_fast_total") { [([:], Double(registry.redis.status.failedFast))] }
    }
}

/// Holds the registry once started, for `/healthz` (which exists before it).
final class ClusterHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var registry: NodeRegistry?
    func set(_ r: NodeRegistry) { lock.lock(); registry = r; lock.unlock() }
    var current: NodeRegistry? { lock.lock(); defer { lock.unlock() }; return registry }
    /// The 503 refusing new work while this node holds no lease (nil: admit).
    func admissionError() -> HTTPError? {
        guard let r = current else { return HTTPError(503, "CLUSTER_UNAVAILABLE", "this node is still starting its cluster membership") }
        return r.health().admissionError
    }

    /// The `/healthz` cluster block, from memory only.
    func healthJSON() -> JSON {
        guard let r = current else { return ["state": "starting"] }
        return r.health().json
    }
}

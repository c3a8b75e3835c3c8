import Foundation

/// What a node reports with each heartbeat, so placement can pick the least
/// loaded node: media transports, forwarded RTP packets per second and CPU
/// (cores busy, from the process's CPU time).
public struct NodeLoad: Sendable, Equatable {
    public var transports: Int
    public var forwardedPacketsPerSecond: Double
    public var cpuCores: Double
    public init(transports: Int = 0, forwardedPacketsPerSecond: Double = 0, cpuCores: Double = 0) {
        self.transports = transports
        self.forwardedPacketsPerSecond = forwardedPacketsPerSecond
        self.cpuCores = cpuCores
    }
}

/// Turns the counters `/metrics` already has (transports, forwarded packets
/// total, process CPU seconds) into rates between two samples.
public final class LoadMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var last: (forwarded: UInt64, cpu: Double, at: Double)?
    private var current = NodeLoad()

    public init() {}

    /// Records a sample taken at `now` (seconds on any monotonic clock).
    public func sample(transports: Int, forwardedTotal: UInt64, cpuSeconds: Double, now: Double) {
        lock.lock(); defer { lock.unlock() }
        var load = NodeLoad(transports: transports)
        if let last, now > last.at {
            let dt = now - last.at
            load.forwardedPacketsPerSecond = forwardedTotal >= last.forwarded ? Double(forwardedTotal - last.forwarded) / dt : 0
            load.cpuCores = max(0, cpuSeconds - last.cpu) / dt
        } else {
            load.forwardedPacketsPerSecond = current.forwardedPacketsPerSecond
            load.cpuCores = current.cpuCores
        }
        last = (forwardedTotal, cpuSeconds, now)
        current = load
    }

    public var load: NodeLoad { lock.lock(); defer { lock.unlock() }; return current }
}

import Foundation
import Synchronization

/// Limits failed token requests (wrong client id or secret) per source
/// address, so the client secrets cannot be guessed at network speed.
///
/// Each address has a bucket of `burst` failures that refills at
/// `burst / window` per second; while it is empty the token endpoint answers
/// 429 with `Retry-After` (the seconds until one failure is allowed again)
/// without looking at the credentials. Successful requests cost nothing.
/// At most `maxAddresses` are tracked; beyond that, full buckets are
/// forgotten first, then the oldest.
public final class TokenFailureLimiter: Sendable {
    public let burst: Double
    public let window: Double
    public let maxAddresses: Int
    private struct Bucket { var level: Double; var updated: Double }
    private let buckets = Mutex<[String: Bucket]>([:])

    /// `burst` failures per `window` seconds; `burst` 0 switches the limit off.
    public init(burst: Int = 10, window: Double = 60, maxAddresses: Int = 10_000) {
        self.burst = Double(max(0, burst))
        self.window = max(window, 0.001)
        self.maxAddresses = maxAddresses
    }

    public static func monotonic() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The address part of "ip:port" / "[ip6]:port".
    static func address(of remote: String) -> String {
        if remote.hasPrefix("["), let close = remote.firstIndex(of: "]") { return String(remote[remote.index(after: remote.startIndex)..<close]) }
        if let colon = remote.lastIndex(of: ":") { return String(remote[..<colon]) }
        return remote
    }

    private func refilled(_ b: Bucket, now: Double) -> Double {
        min(burst, b.level + (now - b.updated) * burst / window)
    }

    /// Seconds to wait before `remote` may fail again, or nil if it may try now.
    public func retryAfter(_ remote: String, now: Double = monotonic()) -> Int? {
        guard burst > 0 else { return nil }
        let key = TokenFailureLimiter.address(of: remote)
        return buckets.withLock { map -> Int? in
            guard let b = map[key] else { return nil }
            let level = refilled(b, now: now)
            if level >= 1 { return nil }
            return max(1, Int(((1 - level) * window / burst).rounded(.up)))
        }
    }

    /// Records one failure of `remote`.
    public func recordFailure(_ remote: String, now: Double = monotonic()) {
        guard burst > 0 else { return }
        let key = TokenFailureLimiter.address(of: remote)
        buckets.withLock { map in
            var b = map[key] ?? Bucket(level: burst, updated: now)
            b.level = max(0, refilled(b, now: now) - 1)
            b.updated = now
            map[key] = b
            if map.count > maxAddresses {
                map = map.filter { refilled($0.value, now: now) < burst }
                while map.count > maxAddresses, let oldest = map.min(by: { $0.value.updated < $1.value.updated }) {
                    map[oldest.key] = nil
                }
            }
        }
    }
}

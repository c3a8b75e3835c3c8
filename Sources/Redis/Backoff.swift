/// Reconnection delays: exponential from `initial`, capped at `maximum`, with
/// jitter (each delay is drawn from [d/2, d]) so that nodes that lost Redis at
/// the same moment do not reconnect in lockstep.
public struct Backoff: Sendable, Equatable {
    public var initial: Double
    public var maximum: Double
    public private(set) var attempt = 0

    public init(initial: Double = 0.05, maximum: Double = 2) {
        self.initial = max(0.001, initial)
        self.maximum = max(self.initial, maximum)
    }

    /// The next delay in seconds; `random` is in [0, 1).
    public mutating func next(random: Double) -> Double {
        let exp = Double(1 << min(attempt, 30))
        attempt += 1
        let d = min(maximum, initial * exp)
        return d * (0.5 + 0.5 * min(max(random, 0), 1))
    }

    public mutating func reset() { attempt = 0 }
}

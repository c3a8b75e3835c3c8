import ICE

/// SplitMix64: a tiny deterministic generator so that loss and delay in a
/// test are the same on every run for a given seed. Not for credentials.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Duration {
    /// Whole nanoseconds (virtual times in tests stay far below Int64 range).
    var nanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// An in-memory UDP network with virtual time: datagrams sent now arrive
/// after a seeded random delay, or never (seeded loss, or a black-holed
/// address). It stands in for sockets so that ICE is tested deterministically
/// (the idea of pion's `vnet`, much smaller).
public struct VirtualNetwork: Sendable {
    public struct Datagram: Sendable, Hashable {
        public var bytes: [UInt8]
        public var from: SocketAddress
        public var to: SocketAddress
        public var deliverAt: Duration
        var sequence: Int
    }

    public struct Stats: Sendable, Hashable {
        public var sent = 0
        public var lost = 0
        public var delivered = 0
    }

    /// Probability (0...1) that a datagram is lost.
    public var lossRate: Double
    /// One-way delay, uniformly drawn per datagram (so reordering happens).
    public var delay: ClosedRange<Duration>
    /// Datagrams from or to these addresses vanish (a path that went down).
    public var blackholed: Set<SocketAddress> = []
    public private(set) var stats = Stats()

    private var random: SeededRandom
    private var inFlight: [Datagram] = []
    private var sequence = 0

    public init(seed: UInt64, lossRate: Double = 0,
                delay: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(10)) {
        self.random = SeededRandom(seed: seed)
        self.lossRate = lossRate
        self.delay = delay
    }

    public mutating func send(_ bytes: [UInt8], from: SocketAddress, to: SocketAddress, now: Duration) {
        stats.sent += 1
        if blackholed.contains(from) || blackholed.contains(to) || Double.random(in: 0..<1, using: &random) < lossRate {
            stats.lost += 1
            return
        }
        let low = delay.lowerBound.nanoseconds, high = delay.upperBound.nanoseconds
        let d = Duration.nanoseconds(low == high ? low : Int64.random(in: low...high, using: &random))
        sequence += 1
        inFlight.append(Datagram(bytes: bytes, from: from, to: to, deliverAt: now + d, sequence: sequence))
    }

    /// When the next datagram arrives, if any is in flight.
    public var nextDelivery: Duration? { inFlight.map(\.deliverAt).min() }

    public var inFlightCount: Int { inFlight.count }

    /// Removes and returns the earliest datagram due at `now` (ties in send order).
    public mutating func popDue(now: Duration) -> Datagram? {
        var best: Int?
        for i in inFlight.indices where inFlight[i].deliverAt <= now {
            if let b = best {
                let x = inFlight[i], y = inFlight[b]
                if (x.deliverAt, x.sequence) < (y.deliverAt, y.sequence) { best = i }
            } else {
                best = i
            }
        }
        guard let b = best else { return nil }
        stats.delivered += 1
        return inFlight.remove(at: b)
    }
}

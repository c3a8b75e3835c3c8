/// Loss, duplicate and reordering accounting of one received stream, from
/// the publisher's per-stream counter in each `MediaStamp` (not the RTP
/// sequence number, which the server rewrites). A 1024-packet window of
/// seen counters tells a duplicate from a late (reordered) packet.
///
/// Loss over an interval is `expected − unique` between two `snapshot()`s,
/// where expected is the growth of the highest counter seen. Not `Sendable`:
/// owned by the event loop thread.
public struct StreamReceiveCounter {
    public static let window = 1024
    public private(set) var started = false
    public private(set) var first: UInt32 = 0
    public private(set) var highest: UInt32 = 0
    public private(set) var unique: UInt64 = 0
    public private(set) var duplicates: UInt64 = 0
    public private(set) var reordered: UInt64 = 0
    /// Older than the window: cannot tell duplicate from late; counted here.
    public private(set) var tooOld: UInt64 = 0
    private var seen = [UInt64](repeating: 0, count: window / 64)

    public enum Outcome: Equatable { case inOrder, reordered, duplicate, tooOld }

    public init() {}

    /// Packets expected so far: highest counter − first + 1.
    public var expected: UInt64 { started ? UInt64(highest &- first) + 1 : 0 }

    @inline(__always) private func bit(_ c: UInt32) -> (Int, UInt64) {
        let i = Int(c % UInt32(Self.window))
        return (i >> 6, 1 << UInt64(i & 63))
    }

    @discardableResult
    public mutating func record(_ counter: UInt32) -> Outcome {
        if !started {
            started = true
            first = counter
            highest = counter
            unique = 1
            let (w, m) = bit(counter)
            seen[w] |= m
            return .inOrder
        }
        let ahead = Int32(bitPattern: counter &- highest)
        if ahead > 0 {
            // Clear the slots the window slides over (they belonged to counters 1024 back).
            var c = highest &+ 1
            let steps = min(Int(ahead), Self.window)
            for _ in 0..<steps {
                let (w, m) = bit(c)
                seen[w] &= ~m
                c &+= 1
            }
            if Int(ahead) > Self.window { c = counter }
            highest = counter
            let (w, m) = bit(counter)
            seen[w] |= m
            unique += 1
            return .inOrder
        }
        if ahead == 0 { duplicates += 1; return .duplicate }
        if -Int(ahead) >= Self.window || counter &- first > highest &- first { tooOld += 1; return .tooOld }
        let (w, m) = bit(counter)
        if seen[w] & m != 0 { duplicates += 1; return .duplicate }
        seen[w] |= m
        unique += 1
        reordered += 1
        return .reordered
    }

    /// Counters at an interval edge.
    public struct Snapshot: Equatable {
        public var expected: UInt64 = 0
        public var unique: UInt64 = 0
        public var duplicates: UInt64 = 0
        public var reordered: UInt64 = 0
    }

    public var snapshot: Snapshot { Snapshot(expected: expected, unique: unique, duplicates: duplicates, reordered: reordered) }
}

/// One-way delays as a histogram, mergeable across viewers and processes:
/// 20 µs buckets up to 20 ms, 200 µs up to 200 ms, 5 ms up to 5 s, then one
/// overflow bucket. Percentiles report a bucket's upper edge; the maximum
/// is kept exactly.
public struct DelayHistogram: Equatable {
    public static let bucketCount = 1000 + 900 + 960 + 1
    public private(set) var counts: [UInt64]
    public private(set) var total: UInt64 = 0
    public private(set) var maxNanos: UInt64 = 0

    public init() { counts = [UInt64](repeating: 0, count: Self.bucketCount) }

    @inline(__always)
    public static func bucket(_ ns: UInt64) -> Int {
        let us = ns / 1000
        if us < 20_000 { return Int(us / 20) }
        if us < 200_000 { return 1000 + Int((us - 20_000) / 200) }
        if us < 5_000_000 { return 1900 + Int((us - 200_000) / 5000) }
        return bucketCount - 1
    }

    /// Upper edge of bucket `i` in nanoseconds (the overflow bucket reports 5 s).
    public static func upperEdge(_ i: Int) -> UInt64 {
        if i < 1000 { return UInt64(i + 1) * 20_000 }
        if i < 1900 { return 20_000_000 + UInt64(i - 1000 + 1) * 200_000 }
        if i < 2860 { return 200_000_000 + UInt64(i - 1900 + 1) * 5_000_000 }
        return 5_000_000_000
    }

    @inline(__always)
    public mutating func record(_ ns: UInt64) {
        counts[Self.bucket(ns)] &+= 1
        total &+= 1
        if ns > maxNanos { maxNanos = ns }
    }

    public mutating func merge(_ other: DelayHistogram) {
        for i in 0..<Self.bucketCount { counts[i] &+= other.counts[i] }
        total &+= other.total
        maxNanos = max(maxNanos, other.maxNanos)
    }

    /// The delay at or below which `q` (0…1) of the samples lie, in ns; nil when empty.
    public func percentile(_ q: Double) -> UInt64? {
        guard total > 0 else { return nil }
        let rank = max(1, UInt64((Double(total) * q).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return min(Self.upperEdge(i), maxNanos) }
        }
        return maxNanos
    }

    /// Non-empty buckets as `[index, count]` pairs (for the processes' pipes).
    public var sparse: [[UInt64]] { counts.enumerated().filter { $0.element > 0 }.map { [UInt64($0.offset), $0.element] } }

    public init?(sparse: [[UInt64]], maxNanos: UInt64) {
        self.init()
        for pair in sparse {
            guard pair.count == 2, pair[0] < UInt64(Self.bucketCount) else { return nil }
            counts[Int(pair[0])] &+= pair[1]
            total &+= pair[1]
        }
        self.maxNanos = maxNanos
    }
}

/// Decides which of a publisher's RTP packets to NACK (RFC 4585 §6.2.1),
/// and when to give up — the receiver half of retransmission on the
/// publisher's leg.
///
/// Rules (after mediasoup's `NackGenerator`, learned from, not copied):
/// - a gap in the sequence numbers adds every missing number to the list;
///   they are due at the next `tick` (call it right after a gap to NACK at
///   once, and periodically — every 40 ms — for retries);
/// - a missing packet that arrives (retransmitted or reordered) leaves the
///   list;
/// - an entry is NACKed again once per `retryInterval` (the RTT when known,
///   never less than `minimumRetryInterval`), at most `maxRetries` times;
/// - entries more than `maxPacketAge` sequence numbers behind the newest are
///   dropped; a gap larger than that, or more than `maxEntries` missing at
///   once, clears what cannot be kept and reports `.keyframeNeeded` —
///   asking for a keyframe is cheaper than NACKing hundreds of packets.
///
/// Storage is a ring preallocated at `init` (`maxEntries` slots); nothing
/// allocates afterwards. Thread confinement: a `final class` owned by one
/// media worker, not `Sendable`; use it only on that worker's thread.
public final class NackGenerator {
    public struct Configuration: Sendable {
        public var maxPacketAge = 10_000
        public var maxEntries = 1_000
        public var maxRetries = 10
        /// Used while the RTT is unknown (µs).
        public var defaultRetryInterval: Int64 = 100_000
        /// Floor for the RTT-based retry interval (µs).
        public var minimumRetryInterval: Int64 = 20_000
        public init() {}
    }

    /// What one received packet did to the list.
    public enum Outcome: Equatable, Sendable {
        /// The first packet, or the next one in order.
        case inOrder
        /// A gap: `missing` numbers were added.
        case gap(missing: Int)
        /// A listed missing packet arrived.
        case recovered
        /// A packet seen already, or too old to matter.
        case duplicateOrOld
        /// Too much was lost to NACK; ask the publisher for a keyframe.
        case keyframeNeeded
    }

    public let configuration: Configuration
    let capacity: Int
    let seqs: UnsafeMutablePointer<Int64>        // extended sequence numbers, ascending
    let sentAt: UnsafeMutablePointer<Int64>      // Int64.min: never sent
    let retries: UnsafeMutablePointer<UInt8>     // 0xFF: removed (tombstone)
    var head = 0
    var used = 0                                 // slots in use, tombstones included
    /// Live (not yet recovered or abandoned) entries.
    public private(set) var count = 0
    var highest: Int64 = 0
    var started = false

    static let tombstone: UInt8 = 0xFF

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.maxEntries > 0 && configuration.maxRetries < 0xFF, "bad NACK configuration")
        self.configuration = configuration
        capacity = configuration.maxEntries
        seqs = .allocate(capacity: capacity)
        sentAt = .allocate(capacity: capacity)
        retries = .allocate(capacity: capacity)
    }

    deinit {
        seqs.deallocate()
        sentAt.deallocate()
        retries.deallocate()
    }

    /// Forgets everything (a new source).
    public func reset() {
        head = 0; used = 0; count = 0; started = false
    }

    @inline(__always) func slot(_ i: Int) -> Int {
        let j = head + i
        return j >= capacity ? j - capacity : j
    }

    /// Records the arrival of `sequenceNumber`.
    public func received(_ sequenceNumber: UInt16) -> Outcome {
        guard started else {
            started = true
            highest = (1 << 32) + Int64(sequenceNumber)
            return .inOrder
        }
        let ext = highest + Int64(SerialNumber.distance(sequenceNumber, UInt16(truncatingIfNeeded: highest)))
        if ext == highest { return .duplicateOrOld }
        if ext < highest { return remove(ext) ? .recovered : .duplicateOrOld }
        let missing = ext - highest - 1
        let previous = highest
        highest = ext
        dropOlderThan(highest - Int64(configuration.maxPacketAge))
        if missing == 0 { return .inOrder }
        if missing > Int64(configuration.maxPacketAge) {
            clear()
            return .keyframeNeeded
        }
        var overflowed = false
        var s = previous + 1
        if missing > Int64(capacity) {            // keep only the newest `capacity`
            s = ext - Int64(capacity)
            overflowed = true
        }
        while s < ext {
            if used == capacity { overflowed = popOldest() || overflowed }
            let j = slot(used)
            seqs[j] = s; sentAt[j] = Int64.min; retries[j] = 0
            used += 1; count += 1
            s += 1
        }
        return overflowed ? .keyframeNeeded : .gap(missing: Int(missing))
    }

    /// Writes the sequence numbers due for a NACK at `now` into `out`
    /// (ascending) and returns how many; `rtt` in µs when known. Entries
    /// that reached `maxRetries` are dropped.
    public func tick(now: Int64, rtt: Int64?, into out: UnsafeMutableBufferPointer<UInt16>) -> Int {
        let interval = max(rtt ?? configuration.defaultRetryInterval, configuration.minimumRetryInterval)
        var n = 0
        var i = 0
        while i < used && n < out.count {
            let j = slot(i)
            i += 1
            let r = retries[j]
            if r == NackGenerator.tombstone { continue }
            guard sentAt[j] == Int64.min || now &- sentAt[j] >= interval else { continue }
            if Int(r) >= configuration.maxRetries {
                retries[j] = NackGenerator.tombstone
                count -= 1
                continue
            }
            out[n] = UInt16(truncatingIfNeeded: seqs[j])
            n += 1
            sentAt[j] = now
            retries[j] = r + 1
        }
        compactHead()
        return n
    }

    /// Whether `sequenceNumber` is currently listed as missing.
    public func isMissing(_ sequenceNumber: UInt16) -> Bool {
        guard started else { return false }
        let ext = highest + Int64(SerialNumber.distance(sequenceNumber, UInt16(truncatingIfNeeded: highest)))
        guard let j = find(ext) else { return false }
        return retries[j] != NackGenerator.tombstone
    }

    // MARK: Ring maintenance

    func clear() { head = 0; used = 0; count = 0 }

    /// Binary search for `ext` among the used slots.
    func find(_ ext: Int64) -> Int? {
        var lo = 0, hi = used
        while lo < hi {
            let mid = (lo + hi) >> 1
            let v = seqs[slot(mid)]
            if v == ext { return slot(mid) }
            if v < ext { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    func remove(_ ext: Int64) -> Bool {
        guard let j = find(ext), retries[j] != NackGenerator.tombstone else { return false }
        retries[j] = NackGenerator.tombstone
        count -= 1
        compactHead()
        return true
    }

    /// Removes the oldest slot; true when it was a live entry.
    func popOldest() -> Bool {
        let live = retries[head] != NackGenerator.tombstone
        if live { count -= 1 }
        head = slot(1); used -= 1
        return live
    }

    func dropOlderThan(_ ext: Int64) {
        while used > 0 && seqs[head] < ext { _ = popOldest() }
    }

    func compactHead() {
        while used > 0 && retries[head] == NackGenerator.tombstone { head = slot(1); used -= 1 }
        if used == 0 { head = 0 }
    }
}

/// Reception statistics for one incoming RTP source (RFC 3550 A.1, A.3,
/// A.8): sequence validation with cycle counting, expected and lost
/// packets, interarrival jitter, and the last sender report's timing —
/// everything a report block (`ReceptionReport`) needs.
///
/// The SFU keeps one per publisher source (its receiver reports drive the
/// publisher's congestion control) and per viewer leg it measures.
///
/// Sequence validation follows A.1: a jump of less than `maxDropout`
/// (3000) ahead is accepted (gaps are loss); a packet up to `maxMisorder`
/// (100) behind is a duplicate or reordered; anything else is a "bad"
/// jump that is accepted only when the next packet confirms it (the source
/// restarted). `minSequential` packets in a row are needed before a new
/// source counts (A.1's probation; 0 by default since SRTP already
/// authenticated the source).
///
/// Jitter (A.8) is updated only for packets that advance the highest
/// sequence number: reordered packets and retransmissions measure the
/// network's reordering, not its jitter (as libwebrtc does).
///
/// Times are microseconds of a monotonic clock. Pure value, `Sendable`.
public struct ReceiveStats: Sendable {
    public static let sequenceModulo: UInt32 = 1 << 16
    public let clockRate: UInt32
    public var maxDropout: UInt16 = 3000
    public var maxMisorder: UInt16 = 100
    public let minSequential: Int

    public private(set) var started = false
    public private(set) var maxSequence: UInt16 = 0
    /// Shifted count of sequence number wraps (A.1 `cycles`).
    public private(set) var cycles: UInt32 = 0
    public private(set) var baseSequence: UInt32 = 0
    var badSequence: UInt32 = ReceiveStats.sequenceModulo + 1
    var probation = 0
    /// Packets accepted by the validation.
    public private(set) var packetsReceived: UInt32 = 0
    /// Bytes of accepted packets, as passed to `received`.
    public private(set) var bytesReceived: UInt64 = 0
    var expectedPrior: UInt32 = 0
    var receivedPrior: UInt32 = 0
    var transit: Int32 = 0
    var hasTransit = false
    /// Interarrival jitter × 16 (A.8 keeps the fraction this way).
    var jitterQ4: UInt32 = 0
    /// Middle 32 bits of the last SR's NTP timestamp, and its arrival.
    public private(set) var lastSenderReport: UInt32 = 0
    public private(set) var lastSenderReportArrival: Int64 = 0
    public private(set) var hasSenderReport = false

    public init(clockRate: UInt32, minSequential: Int = 0) {
        precondition(clockRate > 0, "clock rate must be positive")
        self.clockRate = clockRate
        self.minSequential = minSequential
    }

    /// Extended highest sequence number (cycles + max, A.1).
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }
    /// Packets expected so far (A.3).
    public var expected: UInt32 { started ? extendedHighestSequence &- baseSequence &+ 1 : 0 }
    /// Cumulative loss (A.3): expected − received, negative with duplicates.
    public var cumulativeLost: Int64 { Int64(expected) - Int64(packetsReceived) }
    /// Interarrival jitter in timestamp units.
    public var jitter: UInt32 { jitterQ4 >> 4 }

    mutating func initSequence(_ seq: UInt16) {
        baseSequence = UInt32(seq)
        maxSequence = seq
        badSequence = ReceiveStats.sequenceModulo + 1
        cycles = 0
        packetsReceived = 0
        receivedPrior = 0
        expectedPrior = 0
    }

    /// Records a packet. Returns false when A.1 does not count it (in
    /// probation, or an unconfirmed big jump); the caller may still forward
    /// it.
    @discardableResult
    public mutating func received(sequenceNumber seq: UInt16, rtpTimestamp: UInt32, arrival: Int64,
                                  bytes: Int = 0) -> Bool {
        if !started {
            started = true
            initSequence(seq)
            maxSequence = seq &- 1
            probation = minSequential
            if probation == 0 {
                initSequence(seq)
                count(bytes)
                updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival)
                return true
            }
        }
        let delta = seq &- maxSequence
        var advanced = false
        if probation > 0 {
            if seq == maxSequence &+ 1 {
                probation -= 1
                maxSequence = seq
                if probation == 0 {
                    initSequence(seq)
                    count(bytes)
                    updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival)
                    return true
                }
            } else {
                probation = max(minSequential - 1, 0)
                maxSequence = seq
            }
            return false
        } else if delta < maxDropout {
            if delta != 0 {
                if seq < maxSequence { cycles &+= ReceiveStats.sequenceModulo }
                maxSequence = seq
                advanced = true
            }
        } else if UInt32(delta) <= ReceiveStats.sequenceModulo - UInt32(maxMisorder) {
            if UInt32(seq) == badSequence {
                // Two sequential packets after a big jump: the source restarted.
                initSequence(seq)
                hasTransit = false
                advanced = true
            } else {
                badSequence = (UInt32(seq) + 1) & (ReceiveStats.sequenceModulo - 1)
                return false
            }
        }
        // else: duplicate or reordered packet.
        count(bytes)
        if advanced { updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival) }
        return true
    }

    mutating func count(_ bytes: Int) {
        packetsReceived &+= 1
        bytesReceived &+= UInt64(max(bytes, 0))
    }

    /// A.8: J += (|D| − J) / 16, in timestamp units.
    mutating func updateJitter(rtpTimestamp: UInt32, arrival: Int64) {
        let arrivalTicks = UInt32(truncatingIfNeeded: rtpTicks(microseconds: arrival, clockRate: clockRate))
        let t = Int32(bitPattern: arrivalTicks &- rtpTimestamp)
        if hasTransit {
            let d = UInt32(truncatingIfNeeded: abs(Int64(t) - Int64(transit)))
            jitterQ4 = jitterQ4 &+ d &- ((jitterQ4 &+ 8) >> 4)
        }
        transit = t
        hasTransit = true
    }

    /// Records a sender report from this source (for LSR/DLSR).
    public mutating func senderReportReceived(ntp: NTPTimestamp, arrival: Int64) {
        lastSenderReport = ntp.middle32
        lastSenderReportArrival = arrival
        hasSenderReport = true
    }

    /// The report block for this source at `now`, and starts a new loss
    /// interval (A.3 fraction lost is per interval between reports).
    public mutating func makeReport(ssrc: UInt32, now: Int64) -> ReceptionReport {
        let expectedNow = expected
        let expectedInterval = Int64(expectedNow &- expectedPrior)
        let receivedInterval = Int64(packetsReceived &- receivedPrior)
        expectedPrior = expectedNow
        receivedPrior = packetsReceived
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 = (expectedInterval == 0 || lostInterval <= 0)
            ? 0 : UInt8(min((lostInterval << 8) / expectedInterval, 255))
        let lost = Int32(min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF))
        var dlsr: UInt32 = 0
        if hasSenderReport {
            // DLSR saturates at 2^32 / 65536 s.
            let elapsed = min(max(now &- lastSenderReportArrival, 0), 65_536_000_000)
            dlsr = UInt32(truncatingIfNeeded: min(elapsed * 65536 / 1_000_000, Int64(UInt32.max)))
        }
        return ReceptionReport(ssrc: ssrc, fractionLost: fraction, cumulativeLost: lost,
                               extendedHighestSequence: extendedHighestSequence, jitter: jitter,
                               lastSenderReport: hasSenderReport ? lastSenderReport : 0,
                               delaySinceLastSenderReport: dlsr)
    }

    /// Round-trip time from a report block about one of *our* sources
    /// (RFC 3550 §6.4.1: arrival − LSR − DLSR), in microseconds; nil when the
    /// block carries no LSR.
    public static func roundTripTime(report: ReceptionReport, arrival: NTPTimestamp) -> Int64? {
        guard report.lastSenderReport != 0 else { return nil }
        let rtt = arrival.middle32 &- report.lastSenderReport &- report.delaySinceLastSenderReport
        guard Int32(bitPattern: rtt) >= 0 else { return 0 }
        return Int64(rtt) * 1_000_000 / 65536
    }
}

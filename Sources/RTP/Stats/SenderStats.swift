/// What the SFU sent on one outgoing source, for its sender reports (RFC
/// 3550 §6.4.1): packet and payload-octet counts, and the RTP timestamp that
/// corresponds to "now".
///
/// The timestamp in an SR must be on the same clock as the media, at the SR's
/// NTP time. When the publisher's own SR mapping is known (translated into
/// this viewer's timestamps by its `TimestampRewriter`), that mapping is
/// used, which keeps the viewer's audio and video in sync exactly as the
/// publisher timed them; otherwise the last sent timestamp is extrapolated
/// by the elapsed time. Pure value, `Sendable`.
public struct SenderStats: Sendable {
    public let clockRate: UInt32
    @inlinable public var packetCount: UInt32 { _packetCount }
    /// Payload octets (header and padding excluded, RFC 3550 §6.4.1).
    @inlinable public var octetCount: UInt32 { _octetCount }
    @inlinable public var lastRTPTimestamp: UInt32 { _lastRTPTimestamp }
    @inlinable public var lastSendTime: Int64 { _lastSendTime }
    @inlinable public var hasSent: Bool { _hasSent }
    @usableFromInline var _packetCount: UInt32 = 0
    @usableFromInline var _octetCount: UInt32 = 0
    @usableFromInline var _lastRTPTimestamp: UInt32 = 0
    @usableFromInline var _lastSendTime: Int64 = 0
    @usableFromInline var _hasSent = false

    public init(clockRate: UInt32) {
        precondition(clockRate > 0, "clock rate must be positive")
        self.clockRate = clockRate
    }

    /// Records one sent packet.
    @inlinable
    public mutating func sent(payloadLength: Int, rtpTimestamp: UInt32, now: Int64) {
        _packetCount &+= 1
        _octetCount &+= UInt32(truncatingIfNeeded: payloadLength)
        if !_hasSent || SerialNumber.isNewer(rtpTimestamp, than: _lastRTPTimestamp) {
            _lastRTPTimestamp = rtpTimestamp
            _lastSendTime = now
        }
        _hasSent = true
    }

    /// The RTP timestamp for the SR sent at `now` (monotonic µs) / `ntp`
    /// (wall clock), using `mapping` (the source's NTP↔RTP pair in output
    /// timestamps) when known.
    public func rtpTimestamp(now: Int64, ntp: NTPTimestamp, mapping: RTPTimeMapping? = nil) -> UInt32 {
        if let mapping { return mapping.rtp(at: ntp, clockRate: clockRate) }
        let elapsed = max(now &- lastSendTime, 0)
        return lastRTPTimestamp &+ UInt32(truncatingIfNeeded: rtpTicks(microseconds: elapsed, clockRate: clockRate))
    }

    /// A sender report for `ssrc`, or nil before anything was sent
    /// (RFC 3550 §6.4: only senders send SRs).
    public func senderReport(ssrc: UInt32, now: Int64, ntp: NTPTimestamp, mapping: RTPTimeMapping? = nil,
                             reports: [ReceptionReport] = []) -> SenderReport? {
        guard hasSent else { return nil }
        return SenderReport(ssrc: ssrc, ntp: ntp, rtpTimestamp: rtpTimestamp(now: now, ntp: ntp, mapping: mapping),
                            packetCount: packetCount, octetCount: octetCount, reports: reports)
    }
}

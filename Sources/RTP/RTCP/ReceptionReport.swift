/// A report block (RFC 3550 §6.4.1): one receiver's view of one source —
/// loss, highest sequence number, jitter, and the timing needed for the
/// sender to compute the round-trip time (LSR/DLSR).
///
/// Carried by sender and receiver reports; 24 bytes on the wire.
///
/// ```
/// |                 SSRC_1 (SSRC of first source)                 |
/// | fraction lost |       cumulative number of packets lost       |
/// |           extended highest sequence number received           |
/// |                      interarrival jitter                      |
/// |                         last SR (LSR)                         |
/// |                   delay since last SR (DLSR)                  |
/// ```
public struct ReceptionReport: Hashable, Sendable {
    public static let size = 24

    public var ssrc: UInt32
    /// Fraction lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Cumulative packets lost, a 24-bit signed value (duplicates can make
    /// it negative); clamped to −8388608…8388607 when written.
    public var cumulativeLost: Int32
    /// Cycles << 16 | highest sequence number received.
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter, in timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received, or 0.
    public var lastSenderReport: UInt32
    /// Delay since that SR arrived, in 1/65536 s, or 0.
    public var delaySinceLastSenderReport: UInt32

    @inlinable
    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
                extendedHighestSequence: UInt32 = 0, jitter: UInt32 = 0,
                lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Reads a block at `p` (24 bytes must be readable).
    @inlinable
    public init(at p: UnsafeRawPointer) {
        ssrc = load32(p, 0)
        fractionLost = load8(p, 4)
        let raw = load24(p, 5)
        cumulativeLost = Int32(bitPattern: raw << 8) >> 8          // sign-extend 24 bits
        extendedHighestSequence = load32(p, 8)
        jitter = load32(p, 12)
        lastSenderReport = load32(p, 16)
        delaySinceLastSenderReport = load32(p, 20)
    }

    /// Writes the block at `p` (24 bytes must be writable).
    @inlinable
    public func write(to p: UnsafeMutableRawPointer) {
        store32(p, 0, ssrc)
        store8(p, 4, fractionLost)
        let clamped = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        store24(p, 5, UInt32(bitPattern: clamped) & 0xFF_FFFF)
        store32(p, 8, extendedHighestSequence)
        store32(p, 12, jitter)
        store32(p, 16, lastSenderReport)
        store32(p, 20, delaySinceLastSenderReport)
    }
}

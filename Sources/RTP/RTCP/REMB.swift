/// Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2,
/// PSFB FMT 15 "application layer feedback" with the identifier "REMB"):
/// the total bitrate a receiver estimates it can take for the listed SSRCs.
///
/// The SFU sends it to publishers to cap them (API `videoBitrate`, and the
/// viewers' own estimates) and reads viewers' REMB for simulcast choices.
///
/// ```
/// |V=2|P| FMT=15  |   PT=206      |             length            |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source (0)                     |
/// |  Unique identifier 'R' 'E' 'M' 'B'                            |
/// |  Num SSRC     | BR Exp    |  BR Mantissa (18 bits)            |
/// |   SSRC feedback                                               |  × Num SSRC
/// ```
/// bitrate = mantissa × 2^exp bits per second.
public struct REMB: Hashable, Sendable, RTCPSerializable {
    public static let format: UInt8 = 15
    /// "REMB" in ASCII.
    public static let identifier: UInt32 = 0x5245_4D42

    public var senderSSRC: UInt32
    /// Bits per second (written rounded down to mantissa × 2^exp).
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    public init(_ view: REMBView) {
        senderSSRC = view.senderSSRC
        bitrate = view.bitrate
        ssrcs = (0..<view.ssrcCount).map { view.ssrc(at: $0) }
    }

    /// The 6-bit exponent and 18-bit mantissa for `bitrate`: the smallest
    /// exponent whose mantissa fits, so the value is rounded down by less
    /// than 2^exp.
    @inlinable
    public static func encode(_ bitrate: UInt64) -> (exponent: UInt8, mantissa: UInt32) {
        var exp: UInt8 = 0
        while exp < 63 && bitrate >> UInt64(exp) >= 1 << 18 { exp += 1 }
        return (exp, UInt32(truncatingIfNeeded: min(bitrate >> UInt64(exp), (1 << 18) - 1)))
    }

    /// mantissa × 2^exp, or nil when that does not fit 64 bits.
    @inlinable
    public static func decode(exponent: UInt8, mantissa: UInt32) -> UInt64? {
        let m = UInt64(mantissa)
        guard m != 0 else { return 0 }
        guard exponent < 64, m.leadingZeroBitCount >= Int(exponent) else { return nil }
        return m << UInt64(exponent)
    }

    public var serializedLength: Int { 20 + 4 * ssrcs.count }

    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard ssrcs.count <= 255 else { throw .tooManyItems(ssrcs.count) }
        let size = serializedLength
        let p = try reserve(buffer, size)
        ssrcs.withUnsafeBufferPointer { REMB.write(p, size: size, senderSSRC: senderSSRC, bitrate: bitrate, ssrcs: $0) }
        return size
    }

    /// Writes a REMB without allocating.
    @inlinable
    public static func serialize(senderSSRC: UInt32, bitrate: UInt64, ssrcs: UnsafeBufferPointer<UInt32>,
                                 into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        guard ssrcs.count <= 255 else { throw .tooManyItems(ssrcs.count) }
        let size = 20 + 4 * ssrcs.count
        let p = try reserve(buffer, size)
        write(p, size: size, senderSSRC: senderSSRC, bitrate: bitrate, ssrcs: ssrcs)
        return size
    }

    @inlinable
    static func write(_ p: UnsafeMutableRawPointer, size: Int, senderSSRC: UInt32, bitrate: UInt64,
                      ssrcs: UnsafeBufferPointer<UInt32>) {
        writeFeedbackHeader(p, format: format, type: RTCPPacketType.payloadFeedback, size: size,
                            senderSSRC: senderSSRC, mediaSSRC: 0)
        store32(p, 12, identifier)
        let (exp, mantissa) = encode(bitrate)
        store32(p, 16, UInt32(ssrcs.count) << 24 | UInt32(exp) << 18 | mantissa)
        for (i, s) in ssrcs.enumerated() { store32(p, 20 + 4 * i, s) }
    }
}

/// A validated REMB in place (see `REMB`).
public struct REMBView {
    public let packet: RTCPPacketView

    /// Nil when the AFB message is not a REMB (another identifier); throws
    /// when it says "REMB" but is malformed.
    @inlinable
    public init?(ifREMB packet: RTCPPacketView) throws(RTCPError) {
        try checkFeedbackHeader(packet)
        guard packet.bodyLength >= 12, load32(packet.pointer, 12) == REMB.identifier else { return nil }
        guard packet.bodyLength >= 16 else {
            throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
        }
        let n = Int(load8(packet.pointer, 16))
        guard packet.bodyLength >= 16 + 4 * n else { throw .rembTruncated(ssrcCount: n) }
        let word = load32(packet.pointer, 16)
        let exponent = UInt8((word >> 18) & 0x3F), mantissa = word & 0x3_FFFF
        guard REMB.decode(exponent: exponent, mantissa: mantissa) != nil else {
            throw .rembBitrateOverflow(exponent: exponent, mantissa: mantissa)
        }
        self.packet = packet
    }

    @inlinable public var senderSSRC: UInt32 { load32(packet.pointer, 4) }
    @inlinable public var ssrcCount: Int { Int(load8(packet.pointer, 16)) }
    @inlinable public var exponent: UInt8 { load8(packet.pointer, 17) >> 2 }
    @inlinable public var mantissa: UInt32 { load32(packet.pointer, 16) & 0x3_FFFF }
    /// Bits per second (validated to fit 64 bits).
    @inlinable public var bitrate: UInt64 { REMB.decode(exponent: exponent, mantissa: mantissa) ?? 0 }
    @inlinable public func ssrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < ssrcCount, "REMB SSRC index out of range")
        return load32(packet.pointer, 20 + 4 * index)
    }
}

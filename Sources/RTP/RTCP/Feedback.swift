/// The common part of every RTCP feedback message (RFC 4585 §6.1): two
/// SSRCs after the header, then the feedback control information (FCI).
///
/// ```
/// |V=2|P|   FMT   |       PT      |          length               |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// :            Feedback Control Information (FCI)                 :
/// ```
@inlinable
func checkFeedbackHeader(_ packet: RTCPPacketView) throws(RTCPError) {
    guard packet.bodyLength >= 8 else {
        throw .tooShort(packetType: packet.packetType, format: packet.countOrFormat, length: packet.length)
    }
}

/// Writes the 12-byte feedback header.
@usableFromInline @inline(__always)
func writeFeedbackHeader(_ p: UnsafeMutableRawPointer, format: UInt8, type: UInt8, size: Int,
                         senderSSRC: UInt32, mediaSSRC: UInt32) {
    writeRTCPHeader(p, count: format, type: type, size: size)
    store32(p, 4, senderSSRC)
    store32(p, 8, mediaSSRC)
}

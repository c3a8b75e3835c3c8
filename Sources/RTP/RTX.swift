/// RTP retransmission payload format (RFC 4588 §4): a retransmitted packet
/// sent on a separate RTX stream (own SSRC, own payload type, own sequence
/// numbers), its payload prefixed with the original sequence number (OSN).
///
/// ```
/// | RTP header (RTX SSRC, RTX PT, RTX seq) | OSN (16) | original payload |
/// ```
///
/// The SFU answers a viewer's NACK this way when the viewer negotiated RTX
/// (so retransmissions do not disturb the media stream's loss statistics),
/// and unwraps publishers' RTX packets back into media packets.
public enum RTX {
    /// Writes the RTX form of `original` into `destination` (a send slot):
    /// the original header with `ssrc`, `payloadType` and `sequenceNumber`
    /// replaced, the OSN, then the payload; padding is not carried over.
    /// The OSN is `original`'s sequence number unless `originalSequenceNumber`
    /// names another (an SFU's viewer sees rewritten numbers).
    /// Returns the length, or nil when `capacity` is too small.
    @inlinable
    public static func encapsulate(_ original: RTPPacketView, into destination: UnsafeMutableRawPointer,
                                   capacity: Int, ssrc: UInt32, payloadType: UInt8,
                                   sequenceNumber: UInt16, originalSequenceNumber: UInt16? = nil) -> Int? {
        let header = original.payloadOffset
        let payload = original.payloadLength
        let total = header + 2 + payload
        guard total <= capacity else { return nil }
        destination.copyMemory(from: original.pointer, byteCount: header)
        store16(destination, header, originalSequenceNumber ?? original.sequenceNumber)
        (destination + header + 2).copyMemory(from: original.pointer + header, byteCount: payload)
        store8(destination, 0, load8(destination, 0) & ~0x20)                // P = 0
        store8(destination, 1, (load8(destination, 1) & 0x80) | (payloadType & 0x7F))
        store16(destination, 2, sequenceNumber)
        store32(destination, 8, ssrc)
        return total
    }

    /// Unwraps an RTX packet in place: moves the header 2 bytes forward over
    /// the OSN and restores the original sequence number, `payloadType` and
    /// `ssrc`. Returns the offset where the unwrapped packet now starts
    /// (always 2) and its length, or nil when the payload has no OSN.
    @inlinable
    public static func decapsulate(_ rtx: RTPPacketView, payloadType: UInt8,
                                   ssrc: UInt32) -> (offset: Int, length: Int)? {
        guard rtx.payloadLength >= 2 else { return nil }
        let p = rtx.pointer
        let header = rtx.payloadOffset
        let osn = load16(p, header)
        (p + 2).copyMemory(from: p, byteCount: header)     // overlapping: memmove semantics
        let q = p + 2
        store8(q, 1, (load8(q, 1) & 0x80) | (payloadType & 0x7F))
        store16(q, 2, osn)
        store32(q, 8, ssrc)
        return (2, rtx.length - 2)
    }
}

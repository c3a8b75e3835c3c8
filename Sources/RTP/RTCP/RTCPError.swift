/// Why bytes are not a well-formed RTCP packet, or why a packet cannot be
/// serialized into the buffer given.
///
/// One case per rule so that drop counters and logs say exactly what a peer
/// sent; thrown with typed `throws`, so rejecting never allocates.
public enum RTCPError: Error, Equatable, Sendable {
    /// Fewer than 4 bytes left for a common header (RFC 3550 §6.4.1).
    case truncatedHeader(remaining: Int)
    /// Version is not 2.
    case badVersion(UInt8)
    /// The header's length field runs past the datagram.
    case lengthExceedsBuffer(declared: Int, available: Int)
    /// P is set and the padding count is 0 or larger than the body.
    case badPadding(count: Int)
    /// The body is shorter than the packet type's fixed part and the items
    /// its count field announces.
    case tooShort(packetType: UInt8, format: UInt8, length: Int)
    /// SDES (RFC 3550 §6.5): a chunk or item runs past the packet.
    case sdesTruncated(chunk: Int)
    /// BYE (RFC 3550 §6.6): the reason runs past the packet.
    case byeReasonTruncated
    /// A feedback message without any FCI entry (RFC 4585 §6.2.1, RFC 5104 §4.3.1).
    case emptyFeedback(packetType: UInt8, format: UInt8)
    /// REMB: the SSRC count announces more SSRCs than present.
    case rembTruncated(ssrcCount: Int)
    /// REMB: mantissa × 2^exp does not fit 64 bits.
    case rembBitrateOverflow(exponent: UInt8, mantissa: UInt32)
    /// Transport-wide CC feedback: the status chunks end before the packet
    /// status count is reached.
    case transportCCChunksTruncated(statusCount: Int, described: Int)
    /// Transport-wide CC feedback: the receive deltas run past the packet.
    case transportCCDeltasTruncated
    /// Transport-wide CC feedback: status symbol 3 (reserved) used.
    case transportCCReservedSymbol
    /// Serializing: the buffer is smaller than `needed` bytes.
    case bufferTooSmall(needed: Int, available: Int)
    /// Serializing: more items than the count field or the length can hold
    /// (31 report blocks, 31 SSRCs, 255 bytes of text, 65535 words...).
    case tooManyItems(Int)
}

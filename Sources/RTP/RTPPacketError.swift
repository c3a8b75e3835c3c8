/// Why a datagram is not a well-formed RTP packet (RFC 3550 §5.1, and the
/// validity checks of RFC 3550 Appendix A.1).
///
/// A specific case per rule so that drop counters and logs can say exactly
/// what a peer sent; thrown with typed `throws` so that rejecting a packet
/// never allocates.
public enum RTPPacketError: Error, Equatable, Sendable {
    /// Fewer than the 12 bytes of the fixed header.
    case tooShort(length: Int)
    /// The version field is not 2.
    case badVersion(UInt8)
    /// The CSRC list announced by CC runs past the end of the packet.
    case csrcTruncated(csrcCount: Int, length: Int)
    /// X is set but the 4-byte extension header does not fit.
    case extensionHeaderTruncated
    /// The header extension's length (in 32-bit words) runs past the end.
    case extensionTruncated(words: Int)
    /// P is set but the last byte (the padding count) is 0 or larger than
    /// what follows the header.
    case badPadding(count: Int)
}

/// What a UDP datagram on the shared media port carries, by its first byte
/// (RFC 7983 §7, as updated by RFC 9443 for QUIC, which we do not use).
///
/// It exists so that the worker's receive loop can route a packet with one
/// comparison, before any parsing.
public enum DatagramKind: Sendable, Hashable {
    case stun          // 0...3
    case zrtp          // 16...19
    case dtls          // 20...63
    case turnChannel   // 64...79
    case rtpOrRtcp     // 128...191
    case unknown

    @inline(__always)
    public init(firstByte b: UInt8) {
        switch b {
        case 0...3: self = .stun
        case 16...19: self = .zrtp
        case 20...63: self = .dtls
        case 64...79: self = .turnChannel
        case 128...191: self = .rtpOrRtcp
        default: self = .unknown
        }
    }
}

extension StunMessage {
    /// RFC 7983 demultiplexing: a first byte of 0...3 means STUN.
    @inline(__always)
    public static func isStun(firstByte: UInt8) -> Bool { firstByte < 4 }

    /// A cheap pre-check without parsing: at least a header, zero top bits,
    /// the magic cookie, and a length that fits the datagram.
    public static func looksLikeStun(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= headerSize && bytes[0] < 4 && bytes.u32(at: 4) == magicCookie
            && Int(bytes.u16(at: 2)) + headerSize == bytes.count
    }
}

/// Why the router did not forward a packet (or did not forward it to one
/// consumer). Every drop is counted under exactly one reason, per worker,
/// and exported as `sfu_media_dropped_total{reason=…}` in `/metrics`.
public enum DropReason: Int, CaseIterable, Sendable {
    /// STUN whose username and source address match no transport.
    case unknownSTUNSender
    /// DTLS from an address that no transport validated through ICE.
    case unknownDTLSSender
    /// RTP or RTCP from an address that no connected transport validated.
    case unknownMediaSender
    /// A first byte that is neither STUN, DTLS nor RTP/RTCP (RFC 7983 §7).
    case unknownProtocol
    /// An RTP/RTCP datagram shorter than the 12-byte RTP header.
    case tooShort
    /// SRTP or SRTCP that failed authentication or the replay check.
    case srtpRejected
    /// RTP from a viewer's transport (viewers only receive).
    case notFromPublisher
    /// An RTP header that does not validate (RFC 3550 §5.1) after unprotect.
    case malformedRTP
    /// A payload type the publisher did not negotiate.
    case unknownPayloadType
    /// An RTX packet (RFC 4588) without an original sequence number or media SSRC.
    case malformedRTX
    /// A second SSRC on a track while its current source is alive (e.g. another simulcast encoding).
    case competingSource
    /// A malformed RTCP packet: it and the rest of its compound are skipped.
    case malformedRTCP
    /// To one consumer: a video packet while the consumer waits for a keyframe.
    case awaitingKeyframe
    /// To one consumer: a packet older than the consumer's last re-sync.
    case staleSequence
    /// To one consumer: a padding-only packet (a bandwidth probe), left out without a sequence hole.
    case paddingOnly
    /// To one consumer: a payload type the viewer did not negotiate.
    case payloadTypeNotNegotiated

    /// The `reason` label in `/metrics`.
    public var label: String {
        switch self {
        case .unknownSTUNSender: return "unknown_stun_sender"
        case .unknownDTLSSender: return "unknown_dtls_sender"
        case .unknownMediaSender: return "unknown_media_sender"
        case .unknownProtocol: return "unknown_protocol"
        case .tooShort: return "too_short"
        case .srtpRejected: return "srtp_rejected"
        case .notFromPublisher: return "not_from_publisher"
        case .malformedRTP: return "malformed_rtp"
        case .unknownPayloadType: return "unknown_payload_type"
        case .malformedRTX: return "malformed_rtx"
        case .competingSource: return "competing_source"
        case .malformedRTCP: return "malformed_rtcp"
        case .awaitingKeyframe: return "awaiting_keyframe"
        case .staleSequence: return "stale_sequence"
        case .paddingOnly: return "padding_only"
        case .payloadTypeNotNegotiated: return "payload_type_not_negotiated"
        }
    }
}

/// Counters of one worker's router, for `/metrics`.
public struct RouterStats: Sendable {
    public var transports = 0
    /// Of the transports, those whose media path is an ICE-TCP connection.
    public var tcpTransports = 0
    public var producers = 0
    public var consumers = 0
    public var rtpIn: UInt64 = 0
    public var rtpOut: UInt64 = 0
    public var srtpErrors: UInt64 = 0
    public var nackResent: UInt64 = 0
    public var nackMissed: UInt64 = 0
    public var nackSent: UInt64 = 0
    public var nackRecovered: UInt64 = 0
    public var rtxReceived: UInt64 = 0
    /// PLIs sent to publishers (after throttling and de-duplication).
    public var keyframeRequests: UInt64 = 0
    /// Packets received from other workers through pipes, and dropped on a full pipe.
    public var pipedIn: UInt64 = 0
    public var pipeDropped: UInt64 = 0
    /// Drops by `DropReason.rawValue` (inline: counting never allocates).
    public var drops = InlineArray<16, UInt64>(repeating: 0)

    public init() {}

    @inline(__always)
    public mutating func count(_ reason: DropReason) { drops[reason.rawValue] &+= 1 }

    public func dropped(_ reason: DropReason) -> UInt64 { drops[reason.rawValue] }

    /// Every drop, whatever the reason.
    public var dropped: UInt64 {
        var total: UInt64 = 0
        for r in DropReason.allCases { total &+= drops[r.rawValue] }
        return total
    }
}

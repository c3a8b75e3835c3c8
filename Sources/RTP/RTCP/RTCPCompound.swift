/// A decoded RTCP packet: one case per type the SFU acts on, each a
/// non-owning view (or a small value) — decoding allocates nothing.
///
/// `.other` carries everything the router does not interpret (APP, XR,
/// TMMBR/TMMBN, SLI, RPSI, AFB other than REMB, unknown types): it is
/// well-formed at the common-header level and may be counted or ignored.
public enum RTCPPacket {
    case senderReport(SenderReportView)
    case receiverReport(ReceiverReportView)
    case sourceDescription(SourceDescriptionView)
    case goodbye(GoodbyeView)
    case genericNACK(GenericNACKView)
    case transportCC(TransportCCView)
    case pictureLossIndication(PictureLossIndication)
    case fullIntraRequest(FullIntraRequestView)
    case remb(REMBView)
    case other(RTCPPacketView)

    /// Decodes one packet whose common header is already validated.
    @inlinable
    public static func decode(_ packet: RTCPPacketView) throws(RTCPError) -> RTCPPacket {
        switch packet.packetType {
        case RTCPPacketType.senderReport: return .senderReport(try SenderReportView(packet))
        case RTCPPacketType.receiverReport: return .receiverReport(try ReceiverReportView(packet))
        case RTCPPacketType.sourceDescription: return .sourceDescription(try SourceDescriptionView(packet))
        case RTCPPacketType.goodbye: return .goodbye(try GoodbyeView(packet))
        case RTCPPacketType.transportFeedback:
            switch packet.countOrFormat {
            case GenericNACK.format: return .genericNACK(try GenericNACKView(packet))
            case TransportCCView.format: return .transportCC(try TransportCCView(packet))
            default: try checkFeedbackHeader(packet); return .other(packet)
            }
        case RTCPPacketType.payloadFeedback:
            switch packet.countOrFormat {
            case PictureLossIndication.format: return .pictureLossIndication(try PictureLossIndication(packet))
            case FullIntraRequest.format: return .fullIntraRequest(try FullIntraRequestView(packet))
            case REMB.format:
                if let remb = try REMBView(ifREMB: packet) { return .remb(remb) }
                return .other(packet)
            default: try checkFeedbackHeader(packet); return .other(packet)
            }
        default:
            return .other(packet)
        }
    }
}

/// Reads a compound RTCP datagram (RFC 3550 §6.1) packet by packet, in
/// place and without allocating.
///
/// It does not require the compound to start with SR/RR or to contain SDES:
/// reduced-size RTCP (RFC 5506, `a=rtcp-rsize`) sends single feedback
/// packets, and browsers do. Each `next()` validates and decodes one packet;
/// the first malformed packet throws and ends the iteration (its length
/// cannot be trusted, so nothing after it can be found). Packets already
/// returned stay valid: a peer's good PLI is not lost to a bad trailer.
///
/// Thread confinement: reads the datagram buffer in place; use it on the
/// worker that owns the buffer.
public struct RTCPCompoundReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let length: Int
    @usableFromInline var offset = 0

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        length = bytes.count
    }

    @inlinable
    public init(pointer: UnsafeRawPointer, length: Int) {
        base = pointer
        self.length = length
    }

    /// The next packet, nil at the end; throws at the first malformed one.
    @inlinable
    public mutating func next() throws(RTCPError) -> RTCPPacket? {
        guard let base, offset < length else { return nil }
        do throws(RTCPError) {
            let view = try RTCPPacketView(validating: base + offset, available: length - offset)
            offset += view.length
            return try RTCPPacket.decode(view)
        } catch {
            offset = length
            throw error
        }
    }

    /// Offset of the next packet in the datagram.
    @inlinable public var position: Int { offset }
}

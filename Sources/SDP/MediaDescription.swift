/// One m-line and the lines under it (`i=`, `c=`, `b=`, `k=`, `a=`): a transceiver in
/// WebRTC terms. Typed accessors read the attributes that matter for negotiation.
public struct MediaDescription: Sendable, Equatable {
    public var kind: MediaKind
    /// Port; 0 marks a rejected m-line (unless `a=bundle-only`).
    public var port: UInt16
    /// The `/<n>` after the port, if written.
    public var numberOfPorts: UInt16?
    /// Transport protocol, e.g. `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`.
    public var proto: String
    /// Formats as written: RTP payload types, or e.g. `webrtc-datachannel`.
    public var formats: [String]
    /// `i=`.
    public var information: String?
    /// Media-level `c=`.
    public var connection: Connection?
    /// `b=` lines.
    public var bandwidths: [Bandwidth]
    /// `k=`.
    public var encryptionKey: String?
    /// `a=` lines, in order.
    public var attributes: [Attribute]

    public init(kind: MediaKind, port: UInt16, numberOfPorts: UInt16? = nil, proto: String, formats: [String],
                information: String? = nil, connection: Connection? = nil, bandwidths: [Bandwidth] = [],
                encryptionKey: String? = nil, attributes: [Attribute] = []) {
        self.kind = kind
        self.port = port
        self.numberOfPorts = numberOfPorts
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connection = connection
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }
}

/// The `<media>` token of an m-line. `other` keeps unknown kinds exactly as written.
public enum MediaKind: Sendable, Hashable, CustomStringConvertible {
    case audio, video, application, other(String)

    public init(_ token: String) {
        switch token {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(token)
        }
    }

    public var description: String {
        switch self {
        case .audio: return "audio"
        case .video: return "video"
        case .application: return "application"
        case .other(let s): return s
        }
    }
}

extension MediaDescription {
    /// Whether the proto carries RTP (so formats are payload types).
    public var isRTP: Bool { Self.isRTPProto(proto) }

    static func isRTPProto(_ proto: String) -> Bool {
        Text.pieces(Text.lower(proto), "/").contains("rtp")
    }

    /// The formats that are RTP payload types, in m-line order.
    public var payloadTypes: [UInt8] { isRTP ? formats.compactMap(Text.payloadType) : [] }

    /// Port 0 without `a=bundle-only`: the m-line is rejected / stopped (RFC 3264, RFC 8843).
    public var isRejected: Bool { port == 0 && !bundleOnly }

    public var mid: String? { attributes.first("mid") }
    /// The media-level direction attribute (see `SessionDescription.direction(ofMediaAt:)` for the resolved one).
    public var direction: MediaDirection? { attributes.direction }
    public var rtpMaps: [RTPMap] { attributes.values(RTPMap.self) }
    public var formatParameters: [FormatParameters] { attributes.values(FormatParameters.self) }
    public var rtcpFeedback: [RTCPFeedback] { attributes.values(RTCPFeedback.self) }
    public var extensionMaps: [ExtensionMap] { attributes.values(ExtensionMap.self) }
    public var ssrcAttributes: [SSRCAttribute] { attributes.values(SSRCAttribute.self) }
    public var ssrcGroups: [SSRCGroup] { attributes.values(SSRCGroup.self) }
    /// `a=msid` lines (usually one).
    public var msids: [MSID] { attributes.values(MSID.self) }
    public var rids: [RIDDescription] { attributes.values(RIDDescription.self) }
    public var simulcast: Simulcast? { attributes.values(Simulcast.self).first }
    public var iceUfrag: String? { attributes.first("ice-ufrag") }
    public var icePwd: String? { attributes.first("ice-pwd") }
    public var iceOptions: [String] { attributes.first("ice-options").map(Text.fields) ?? [] }
    public var fingerprints: [Fingerprint] { attributes.values(Fingerprint.self) }
    public var setup: SetupRole? { attributes.values(SetupRole.self).first }
    public var candidates: [Candidate] { attributes.values(Candidate.self) }
    public var endOfCandidates: Bool { attributes.has("end-of-candidates") }
    public var rtcpMux: Bool { attributes.has("rtcp-mux") }
    public var rtcpReducedSize: Bool { attributes.has("rtcp-rsize") }
    public var extmapAllowMixed: Bool { attributes.has("extmap-allow-mixed") }
    public var bundleOnly: Bool { attributes.has("bundle-only") }

    /// The SSRCs announced with `a=ssrc`, in first-seen order.
    public var ssrcs: [UInt32] {
        var seen = Set<UInt32>()
        return ssrcAttributes.map(\.ssrc).filter { seen.insert($0).inserted }
    }

    /// `b=AS` in kbit/s.
    public var bandwidthAS: UInt64? { bandwidths.first { $0.type == "AS" }?.value }
    /// `b=TIAS` in bit/s.
    public var bandwidthTIAS: UInt64? { bandwidths.first { $0.type == "TIAS" }?.value }

    /// One entry per payload type that has an `a=rtpmap`, in m-line order, with its fmtp
    /// and rtcp-fb (including `rtcp-fb:*` lines).
    public var codecs: [RTPCodec] {
        let maps = rtpMaps, fmtps = formatParameters, feedback = rtcpFeedback
        var out: [RTPCodec] = []
        for pt in payloadTypes {
            guard let map = maps.first(where: { $0.payloadType == pt }) else { continue }
            if out.contains(where: { $0.payloadType == pt }) { continue }
            out.append(RTPCodec(
                payloadType: pt, name: map.encodingName, clockRate: map.clockRate, channels: map.channels,
                parameters: fmtps.first { $0.payloadType == pt }?.parameters,
                feedback: feedback.filter { $0.payloadType == nil || $0.payloadType == pt }))
        }
        return out
    }
}

/// A payload type with everything the m-line says about it (rtpmap + fmtp + rtcp-fb):
/// the unit codec negotiation works on.
public struct RTPCodec: Sendable, Equatable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt16?
    /// The fmtp parameters as written (nil without `a=fmtp`).
    public var parameters: String?
    public var feedback: [RTCPFeedback]

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt16? = nil,
                parameters: String? = nil, feedback: [RTCPFeedback] = []) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// Parsed `key=value` fmtp parameters.
    public var parameterList: [FormatParameters.Parameter] { FormatParameters.split(parameters ?? "") }

    /// An fmtp parameter by name (case-insensitive).
    public func parameter(_ name: String) -> String? {
        parameterList.first { Text.equalsIgnoringCase($0.name, name) }?.value
    }

    /// For an `rtx` codec, the payload type it repairs (`apt=`).
    public var associatedPayloadType: UInt8? {
        guard Text.equalsIgnoringCase(name, "rtx") else { return nil }
        return parameter("apt").flatMap(Text.payloadType)
    }
}

/// One codec this server can route, as an offer names it (rtpmap name, clock rate,
/// channels) plus the fmtp values it must have (e.g. H264 `packetization-mode=1`).
public struct CodecCapability: Sendable, Hashable {
    public var kind: MediaKind
    /// Encoding name, matched case-insensitively.
    public var name: String
    public var clockRate: UInt32
    /// Channel count the rtpmap must give (absent counts as 1); nil: not checked.
    public var channels: UInt16?
    /// fmtp parameters that must have these values (codec defaults apply when absent).
    public var requiredParameters: [FormatParameters.Parameter]

    public init(kind: MediaKind, name: String, clockRate: UInt32, channels: UInt16? = nil,
                requiredParameters: [FormatParameters.Parameter] = []) {
        self.kind = kind
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.requiredParameters = requiredParameters
    }

    public static let opus = CodecCapability(kind: .audio, name: "opus", clockRate: 48000, channels: 2)
    public static let vp8 = CodecCapability(kind: .video, name: "VP8", clockRate: 90000)
    public static let vp9 = CodecCapability(kind: .video, name: "VP9", clockRate: 90000)
    public static let h264 = CodecCapability(kind: .video, name: "H264", clockRate: 90000,
                                             requiredParameters: [.init(name: "packetization-mode", value: "1")])
    public static let av1 = CodecCapability(kind: .video, name: "AV1", clockRate: 90000)

    /// Whether an offered codec is this one.
    public func matches(_ codec: RTPCodec, kind: MediaKind) -> Bool {
        guard kind == self.kind, Text.equalsIgnoringCase(codec.name, name), codec.clockRate == clockRate else { return false }
        if let channels, (codec.channels ?? 1) != channels { return false }
        for p in requiredParameters where CodecParameters.value(p.name, of: codec.name, in: codec.parameters) != p.value {
            return false
        }
        return true
    }
}

/// What the answer builder keeps from an offer: primary codecs, whether RTX rides along,
/// which RTCP feedback and which RTP header extensions. `default` is the server's policy
/// (DESIGN.md "Sessions and negotiation").
public struct CodecPolicy: Sendable, Hashable {
    public var codecs: [CodecCapability]
    /// Keep `rtx` payload types whose `apt` is a kept codec.
    public var allowRTX: Bool
    /// Feedback kinds as `RTCPFeedback.kind` spells them (`nack`, `nack pli`, `ccm fir`, ...).
    public var rtcpFeedback: Set<String>
    /// Header extension URIs.
    public var headerExtensions: Set<String>

    public init(codecs: [CodecCapability], allowRTX: Bool = true, rtcpFeedback: Set<String>, headerExtensions: Set<String>) {
        self.codecs = codecs
        self.allowRTX = allowRTX
        self.rtcpFeedback = rtcpFeedback
        self.headerExtensions = headerExtensions
    }

    public static let defaultRTCPFeedback: Set<String> = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"]

    public static let defaultHeaderExtensions: Set<String> = [
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "urn:3gpp:video-orientation",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
        "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
    ]

    /// Opus; VP8, VP9, H264 (packetization-mode 1), AV1; RTX; the feedback and extensions above.
    public static let `default` = CodecPolicy(codecs: [.opus, .vp8, .vp9, .h264, .av1],
                                              rtcpFeedback: defaultRTCPFeedback,
                                              headerExtensions: defaultHeaderExtensions)

    /// Whether `codec` (offered in an m-line of `kind`) is one we route as a primary codec.
    public func supports(_ codec: RTPCodec, kind: MediaKind) -> Bool {
        codecs.contains { $0.matches(codec, kind: kind) }
    }

    /// The codecs of an offered m-line we keep, in the offer's order, with their RTX
    /// payload type and the allowed feedback. Empty when nothing is supported.
    public func negotiate(_ m: MediaDescription) -> [NegotiatedCodec] {
        let all = m.codecs
        var kept: [NegotiatedCodec] = []
        for c in all where supports(c, kind: m.kind) {
            let rtx = allowRTX ? all.first { $0.associatedPayloadType == c.payloadType }?.payloadType : nil
            kept.append(NegotiatedCodec(payloadType: c.payloadType, name: c.name, clockRate: c.clockRate,
                                        channels: c.channels, parameters: c.parameters, rtxPayloadType: rtx,
                                        feedback: filterFeedback(c.feedback)))
        }
        return kept
    }

    func filterFeedback(_ list: [RTCPFeedback]) -> [RTCPFeedback] {
        var seen = Set<String>()
        return list.filter { rtcpFeedback.contains($0.kind) && seen.insert($0.kind).inserted }
    }
}

/// A codec as agreed with one peer: the payload type in that peer's numbering, its
/// parameters, its RTX payload type and feedback. A publish answer returns these in the
/// publisher's numbering; the view answer takes them as input and maps them to a viewer's.
public struct NegotiatedCodec: Sendable, Hashable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt16?
    /// fmtp parameters as written by the peer (nil: none).
    public var parameters: String?
    public var rtxPayloadType: UInt8?
    public var feedback: [RTCPFeedback]

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt16? = nil,
                parameters: String? = nil, rtxPayloadType: UInt8? = nil, feedback: [RTCPFeedback] = []) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.rtxPayloadType = rtxPayloadType
        self.feedback = feedback
    }

    /// Whether `other` (offered by a viewer) carries the same stream format: same name,
    /// clock rate and channels; for H264 same profile (profile_idc + profile-iop) and
    /// packetization-mode; for VP9 same profile-id; for AV1 same profile.
    public func isCompatible(with other: RTPCodec) -> Bool {
        guard Text.equalsIgnoringCase(name, other.name), clockRate == other.clockRate,
              (channels ?? 1) == (other.channels ?? 1) else { return false }
        func same(_ key: String) -> Bool {
            CodecParameters.value(key, of: name, in: parameters) == CodecParameters.value(key, of: other.name, in: other.parameters)
        }
        switch Text.lower(name) {
        case "h264":
            let a = CodecParameters.value("profile-level-id", of: name, in: parameters) ?? ""
            let b = CodecParameters.value("profile-level-id", of: other.name, in: other.parameters) ?? ""
            return same("packetization-mode") && Text.lower(String(a.prefix(4))) == Text.lower(String(b.prefix(4)))
        case "vp9": return same("profile-id")
        case "av1": return same("profile")
        default: return true
        }
    }
}

/// fmtp lookups with the codec defaults the RTP payload formats define.
enum CodecParameters {
    static func value(_ key: String, of codec: String, in parameters: String?) -> String? {
        if let v = FormatParameters.split(parameters ?? "").first(where: { Text.equalsIgnoringCase($0.name, key) })?.value {
            return v
        }
        switch (Text.lower(codec), Text.lower(key)) {
        case ("h264", "packetization-mode"): return "0"       // RFC 6184 §8.1
        case ("h264", "profile-level-id"): return "420010"    // RFC 6184 §8.1
        case ("vp9", "profile-id"): return "0"                // RFC 9628 §6
        case ("av1", "profile"): return "0"                   // AV1 RTP spec §7.2
        default: return nil
        }
    }
}

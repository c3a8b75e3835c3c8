import Handoff
import RTP
import SDP

/// One published track (an m-line of the publisher's offer): which payload
/// types belong to it, the SSRC it was last seen with, and what the router
/// keeps per source (reception statistics, NACK cache and generator, the
/// last sender report, the keyframe-request throttle).
final class ProducerTrack {
    let kind: MediaKind
    /// `kind == .video`, resolved once (comparing `MediaKind` per packet is not free).
    let isVideo: Bool
    let codecs: [NegotiatedCodec]
    /// Primary payload types of this track.
    let payloadTypes: Set<UInt8>
    /// RTX payload types of this track.
    let rtxPayloadTypes: Set<UInt8>
    let clockRate: UInt32
    let extensions: [ExtensionMap]
    var ssrc: UInt32?
    var consumers: [Consumer] = []
    var lastPacketAt: UInt64 = 0
    /// PLIs toward the publisher, shared by every viewer and pipe of the track.
    var keyframeRequests = KeyframeRequestThrottle()
    var packets: UInt64 = 0
    /// The last sender report: its NTP↔RTP pair and arrival (monotonic ns).
    var lastSR: (mapping: RTPTimeMapping, at: UInt64)?
    /// RFC 3550 reception statistics for the receiver reports we send.
    var receive: ReceiveStats
    /// Recent packets of a video track, to answer viewers' NACKs.
    let cache: PacketCache?
    /// Loss on the publisher's leg, NACKed toward the publisher (video only).
    let nack: NackGenerator?
    /// RTX payload type → the payload type it repairs (-1: not RTX of this track).
    var aptByRTX = [Int16](repeating: -1, count: 128)
    /// The codec of each payload type, resolved once (no string work per packet).
    var codecByPayloadType = [VideoCodec?](repeating: nil, count: 128)

    /// The RTP module's codec for an SDP encoding name; nil for codecs whose
    /// keyframes the router does not look for (every packet counts as one).
    static func videoCodec(named name: String) -> VideoCodec? {
        switch name.lowercased() {
        case "vp8": return .vp8
        case "vp9": return .vp9
        case "h264": return .h264
        case "av1": return .av1
        default: return nil
        }
    }

    init(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap]) {
        self.kind = kind
        self.isVideo = kind == .video
        self.codecs = codecs
        self.extensions = extensions
        payloadTypes = Set(codecs.map(\.payloadType))
        rtxPayloadTypes = Set(codecs.compactMap(\.rtxPayloadType))
        clockRate = codecs.first.map { UInt32($0.clockRate) } ?? 90000
        receive = ReceiveStats(clockRate: clockRate)
        cache = kind == .video ? PacketCache(slotCount: RouterLimits.cachedPackets, slotSize: RouterLimits.cachedPacketSize) : nil
        nack = kind == .video ? NackGenerator() : nil
        for c in codecs where c.payloadType < 128 {
            codecByPayloadType[Int(c.payloadType)] = Self.videoCodec(named: c.name)
            if let rtx = c.rtxPayloadType, rtx < 128 { aptByRTX[Int(rtx)] = Int16(c.payloadType) }
        }
    }

    /// A new SSRC took over: what was known of the old source is forgotten.
    func restartSource(_ ssrc: UInt32) {
        receive = ReceiveStats(clockRate: clockRate)
        cache?.removeAll()
        nack?.reset()
        lastSR = nil
        self.ssrc = ssrc
    }

    /// Whether `view` starts a picture a decoder can begin with (audio and
    /// codecs the router does not inspect: always).
    @inline(__always)
    func isKeyframe(_ view: RTPPacketView) -> Bool {
        guard isVideo, let codec = codecByPayloadType[Int(view.payloadType)] else { return true }
        return Keyframe.isKeyframe(codec, payload: UnsafeRawBufferPointer(view.payload))
    }
}

/// A published stream on a worker: its transport and tracks.
final class Producer {
    let transport: PeerTransport
    var tracks: [ProducerTrack]
    /// Payload type → track, for the 128 possible values.
    var trackByPayloadType = [Int8](repeating: -1, count: 128)
    /// RTX payload type → track.
    var trackByRTXPayloadType = [Int8](repeating: -1, count: 128)
    /// The bandwidth cap announced to the publisher with REMB, bit/s.
    var maxBitrate: UInt64
    /// The recorder's queue for this stream while its conference is recorded (RouterTaps.swift).
    var recorderTap: RecorderTap?
    /// Rings to other workers whose viewers consume this producer (upstream side).
    var pipes: [PipeRing] = []
    /// Set on a pipe producer (downstream side): where its packets come from.
    var upstream: PipeUpstream?

    /// The index of the track last seen with `ssrc` (an index loop: no iterator, no closure).
    func trackIndex(ssrc: UInt32) -> Int? {
        var i = 0
        while i < tracks.count {
            if tracks[i].ssrc == ssrc { return i }
            i += 1
        }
        return nil
    }

    /// The index of `track` in `tracks` (an index loop, as above).
    func index(of track: ProducerTrack) -> Int? {
        var i = 0
        while i < tracks.count {
            if tracks[i] === track { return i }
            i += 1
        }
        return nil
    }

    init(transport: PeerTransport, tracks: [ProducerTrack], maxBitrate: UInt64) {
        self.transport = transport
        self.tracks = tracks
        self.maxBitrate = maxBitrate
        for (i, t) in tracks.enumerated() {
            for pt in t.payloadTypes where pt < 128 { trackByPayloadType[Int(pt)] = Int8(i) }
            for pt in t.rtxPayloadTypes where pt < 128 { trackByRTXPayloadType[Int(pt)] = Int8(i) }
        }
    }
}

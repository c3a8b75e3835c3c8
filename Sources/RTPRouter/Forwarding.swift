import RTP
import SDP

/// Big-endian loads and stores on packet memory: the only way the media
/// path touches headers (no `Data`, no arrays, no copies).
@usableFromInline
enum Wire {
    @inline(__always) static func u8(_ p: UnsafeRawPointer, _ o: Int) -> UInt8 { p.load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) static func u16(_ p: UnsafeRawPointer, _ o: Int) -> UInt16 {
        UInt16(p.load(fromByteOffset: o, as: UInt8.self)) << 8 | UInt16(p.load(fromByteOffset: o + 1, as: UInt8.self))
    }
    @inline(__always) static func u32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
        UInt32(u16(p, o)) << 16 | UInt32(u16(p, o + 2))
    }
    @inline(__always) static func set8(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt8) { p.storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inline(__always) static func set16(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt16) {
        set8(p, o, UInt8(v >> 8)); set8(p, o + 1, UInt8(v & 0xff))
    }
    @inline(__always) static func set32(_ p: UnsafeMutableRawPointer, _ o: Int, _ v: UInt32) {
        set16(p, o, UInt16(v >> 16)); set16(p, o + 2, UInt16(v & 0xffff))
    }
}

/// One published track (an m-line of the publisher's offer): which payload
/// types belong to it, and the SSRC it was last seen with.
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
    var lastKeyframeRequest: UInt64 = 0
    var packets: UInt64 = 0
    /// The last sender report: NTP time, RTP time, arrival (monotonic ns).
    var lastSR: (ntp: UInt64, rtp: UInt32, at: UInt64)?
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
        cache = kind == .video ? PacketCache(slotCount: 1024, slotSize: 1500) : nil
        nack = kind == .video ? NackGenerator() : nil
        for c in codecs where c.payloadType < 128 {
            codecByPayloadType[Int(c.payloadType)] = Self.videoCodec(named: c.name)
            if let rtx = c.rtxPayloadType, rtx < 128 { aptByRTX[Int(rtx)] = Int16(c.payloadType) }
        }
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

    /// The track last seen with `ssrc` (an index loop: no iterator, no closure).
    func track(ssrc: UInt32) -> ProducerTrack? {
        var i = 0
        while i < tracks.count {
            if tracks[i].ssrc == ssrc { return tracks[i] }
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

/// One viewer's copy of one producer track: the SSRC, payload types and
/// header-extension ids the viewer negotiated, and the sequence/timestamp
/// rewriting that keeps its stream continuous.
final class Consumer {
    let transport: PeerTransport
    let kind: MediaKind
    let ssrc: UInt32
    /// Publisher payload type → viewer payload type (0xff: not negotiated).
    var payloadTypeMap = [UInt8](repeating: 0xff, count: 128)
    /// Publisher extension id → viewer extension id (0: remove the element).
    var extensionMap = ExtensionIDMap()
    /// Publisher payload type → the viewer's RTX payload type for it (0xff: no RTX).
    var rtxPayloadTypeMap = [UInt8](repeating: 0xff, count: 128)
    /// Our RTX SSRC toward this viewer (RFC 4588), when it negotiated RTX.
    var rtxSSRC: UInt32?
    var rtxSeq = UInt16.random(in: 0...UInt16.max)
    var waitingForKeyframe: Bool
    var started = false
    var seqDelta: UInt16 = 0
    var lastOutSeq: UInt16 = 0
    var tsDelta: UInt32 = 0
    var lastOutTs: UInt32 = 0
    var lastSourceSSRC: UInt32?
    var lastForwardAt: UInt64 = 0
    var packetsSent: UInt64 = 0
    var octetsSent: UInt64 = 0
    var lastKeyframeAsk: UInt64 = 0

    init(transport: PeerTransport, kind: MediaKind, ssrc: UInt32) {
        self.transport = transport
        self.kind = kind
        self.ssrc = ssrc
        self.waitingForKeyframe = kind == .video
    }

    /// Re-bases sequence numbers and timestamps on a new source (first
    /// packet, or the publisher restarted with a new SSRC) so the viewer
    /// sees one continuous stream.
    func resync(toSeq seq: UInt16, ts: UInt32, ssrc: UInt32, now: UInt64, clockRate: UInt32) {
        if started {
            seqDelta = lastOutSeq &+ 1 &- seq
            let elapsed = UInt64(now &- lastForwardAt) / 1_000_000 // ms
            let advance = UInt32(truncatingIfNeeded: max(1, elapsed) &* UInt64(clockRate) / 1000)
            tsDelta = lastOutTs &+ advance &- ts
        } else {
            seqDelta = UInt16.random(in: 0...UInt16.max) &- seq
            tsDelta = UInt32.random(in: 0...UInt32.max) &- ts
            started = true
        }
        lastSourceSSRC = ssrc
    }
}

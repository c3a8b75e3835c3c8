import DTLS
import Glibc
import ICE
import ICETestSupport
import RTP

/// Everything the event loop needs to run one emulated peer after signalling:
/// its connected UDP socket, its role and the server's answer. Built by the
/// control thread, handed to the loop (all value types, hence `Sendable`).
public struct PeerSpec: Sendable {
    public enum Role: Sendable, Equatable { case publisher, viewer }
    public var id: Int
    public var fd: Int32
    public var role: Role
    public var kinds: MediaKinds
    /// Statistics group (e.g. stable viewers vs churning ones).
    public var group: Int
    public var local: SocketAddress
    public var localICE: IceCredentials
    public var answer: AnswerInfoSendable
    public var audioSSRC: UInt32 = 0
    public var videoSSRC: UInt32 = 0
    public var videoBitrate = 1_500_000
    public var fps = 30
    public var keyframeInterval = 2.0

    public init(id: Int, fd: Int32, role: Role, kinds: MediaKinds, group: Int, local: SocketAddress,
                localICE: IceCredentials, answer: AnswerInfo) {
        self.id = id
        self.fd = fd
        self.role = role
        self.kinds = kinds
        self.group = group
        self.local = local
        self.localICE = localICE
        self.answer = AnswerInfoSendable(answer)
    }
}

/// `AnswerInfo`'s fields in a `Sendable` shape.
public struct AnswerInfoSendable: Sendable {
    public var ice: IceCredentials
    public var fingerprints: [DTLSFingerprint]
    public var address: SocketAddress
    public var audioPT: UInt8
    public var videoPT: UInt8
    init(_ a: AnswerInfo) {
        ice = a.ice
        fingerprints = a.fingerprints
        address = a.address
        audioPT = a.audioPT ?? BenchCodecs.opusPT
        videoPT = a.videoPT ?? BenchCodecs.vp8PT
    }
}

/// One stream a viewer receives: counters, RTP receive statistics for its
/// receiver reports, and the interval baseline.
struct ReceivedStream {
    var counter = StreamReceiveCounter()
    var rtp: ReceiveStats
    var ssrc: UInt32 = 0
    var baseline = StreamReceiveCounter.Snapshot()
    init(clockRate: UInt32) { rtp = ReceiveStats(clockRate: clockRate) }
}

/// One emulated WebRTC peer in the client role, driven by `PeerLoop`:
/// ICE controlling checks (`IceControllingClient`) → DTLS client handshake
/// verifying the answer's fingerprint → SRTP; then a publisher sends VP8
/// and/or Opus at its configured rate, and a viewer unprotects, counts and
/// times what arrives and sends receiver reports. Loop-thread only.
final class Peer {
    enum State: Equatable { case ice, dtls, media, failed(String), closed }

    let spec: PeerSpec
    var state: State = .ice
    var ice: IceControllingClient
    let dtls: DTLSTransport
    var srtpIn: SRTPSession?
    var srtpOut: SRTPSession?
    var profile: SRTPProfile?
    let createdAt: UInt64
    var connectedAt: UInt64 = 0
    var nextRTCP: UInt64 = 0
    /// `ice.nextDeadline` in ns, refreshed after every call into the ICE client
    /// (computing it allocates, so the 5 ms tick over all peers reads this instead).
    var iceDue: UInt64 = 0

    // Publisher
    var video: VP8Packetizer?
    var audio: OpusPacketizer?
    var nextFrameAt: UInt64 = 0
    var nextAudioAt: UInt64 = 0
    var sent: UInt64 = 0
    var keyframeRequests: UInt64 = 0

    // Viewer
    var videoRx = ReceivedStream(clockRate: 90_000)
    var audioRx = ReceivedStream(clockRate: 48_000)
    var firstKeyframeAt: UInt64 = 0
    var keyframeWaitReported = false
    var lastPacketAt: UInt64 = 0
    var maxGap: UInt64 = 0
    var freezes: UInt64 = 0
    var srtpFailures: UInt64 = 0
    var unknownPackets: UInt64 = 0

    init(spec: PeerSpec, context: DTLSContext, now: UInt64) throws {
        self.spec = spec
        var config = IceControllingClient.Configuration()
        config.rto = .milliseconds(100)
        config.seed = UInt64(spec.id) &* 0x9E37_79B9_7F4A_7C15 &+ now
        config.tieBreaker = config.seed | 1
        ice = IceControllingClient(local: spec.localICE, remote: spec.answer.ice, localAddresses: [spec.local],
                                   remoteAddress: spec.answer.address, configuration: config)
        var dconf = DTLSTransport.Configuration()
        dconf.handshakeTimeoutNanoseconds = 20_000_000_000
        dtls = try DTLSTransport(context: context, role: .active, expectedFingerprints: spec.answer.fingerprints,
                                 configuration: dconf, now: now)
        createdAt = now
        if spec.role == .publisher {
            if spec.kinds.contains(.video) {
                video = VP8Packetizer(ssrc: spec.videoSSRC, payloadType: spec.answer.videoPT, bitrate: spec.videoBitrate,
                                      fps: spec.fps, keyframeInterval: spec.keyframeInterval)
            }
            if spec.kinds.contains(.audio) { audio = OpusPacketizer(ssrc: spec.audioSSRC, payloadType: spec.answer.audioPT) }
        }
    }

    var isMedia: Bool { state == .media }
    var isFailed: Bool { if case .failed = state { return true }; return false }

    static func duration(_ ns: UInt64) -> Duration { .nanoseconds(Int64(ns)) }

    // MARK: sending

    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(spec.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
    }

    func perform(_ events: [IceControllingClient.Event], now: UInt64) {
        defer { iceDue = ice.nextDeadline.map { UInt64($0.components.seconds) * 1_000_000_000 + UInt64($0.components.attoseconds / 1_000_000_000) } ?? .max }
        for e in events {
            switch e {
            case .send(let bytes, _, _): sendRaw(bytes)
            case .selected:
                if state == .ice {
                    state = .dtls
                    perform(dtls.start(now: now), now: now)
                }
            case .transactionTimedOut(_, let nominating):
                if state == .ice, nominating || ice.selected == nil, ice.succeeded.isEmpty { state = .failed("ICE checks timed out") }
            case .errorResponse(let code):
                if state == .ice { state = .failed("ICE error response \(code)") }
            default: break
            }
        }
    }

    func perform(_ actions: [DTLSAction], now: UInt64) {
        for a in actions {
            switch a {
            case .send(let bytes): sendRaw(bytes)
            case .connected(let keys):
                do {
                    srtpIn = try SRTPSession(inbound: keys)
                    srtpOut = try SRTPSession(outbound: keys)
                    profile = keys.profile
                    state = .media
                    connectedAt = now
                    nextFrameAt = now
                    nextAudioAt = now
                    nextRTCP = now + 500_000_000
                } catch {
                    state = .failed("SRTP setup: \(error)")
                }
            case .failed(let f): state = .failed("DTLS: \(f)")
            case .closed: if state != .closed { state = .failed("DTLS closed by the server") }
            }
        }
    }

    /// Timers: ICE retransmissions and consent, DTLS retransmissions, receiver reports.
    func tick(now: UInt64, scratch: UnsafeMutableRawBufferPointer) {
        if iceDue <= now { perform(ice.tick(now: Self.duration(now)), now: now) }
        if let t = dtls.nextTimeout, t <= now { perform(dtls.handleTimeout(now: now), now: now) }
        if state == .media, spec.role == .viewer, now >= nextRTCP {
            nextRTCP = now + 1_000_000_000
            sendReceiverReport(now: now, scratch: scratch)
        }
    }

    func sendReceiverReport(now: UInt64, scratch: UnsafeMutableRawBufferPointer) {
        guard let out = srtpOut, let base = scratch.baseAddress else { return }
        var length = 0
        for i in 0..<2 {
            let rx = i == 0 ? videoRx : audioRx
            guard rx.ssrc != 0 else { continue }
            var stats = rx.rtp
            let report = stats.makeReport(ssrc: rx.ssrc, now: Int64(now / 1000))
            if i == 0 { videoRx.rtp = stats } else { audioRx.rtp = stats }
            guard let n = try? ReceiverReport.serialize(ssrc: UInt32(truncatingIfNeeded: spec.id &+ 0x1000), report: report,
                                                        into: UnsafeMutableRawBufferPointer(start: base + length, count: 64)) else { continue }
            length += n
        }
        guard length > 0, let n = try? out.protectRTCP(base, length: length, capacity: scratch.count) else { return }
        _ = send(spec.fd, base, n, Int32(MSG_DONTWAIT))
    }

    // MARK: publishing

    /// Sends what is due: video frames (all packets of a frame back to back,
    /// like an encoder) and audio packets. Returns the next due time.
    func publish(now: UInt64, buffer: UnsafeMutableRawBufferPointer) -> UInt64 {
        guard state == .media, let out = srtpOut, let p = buffer.baseAddress else { return now + 10_000_000 }
        var next = UInt64.max
        if video != nil {
            let interval = 1_000_000_000 / UInt64(video!.fps)
            if nextFrameAt <= now {
                let (count, _) = video!.beginFrame()
                for i in 0..<count {
                    let n = video!.writePacket(i, into: p, sendTime: DTLSTransport.monotonicNow())
                    if let m = try? out.protectRTP(p, length: n, capacity: buffer.count) {
                        if send(spec.fd, p, m, Int32(MSG_DONTWAIT)) == m { sent &+= 1 }
                    }
                }
                nextFrameAt += interval
                if nextFrameAt + interval < now { nextFrameAt = now + interval }   // fell behind: do not burst
            }
            next = min(next, nextFrameAt)
        }
        if audio != nil {
            if nextAudioAt <= now {
                let n = audio!.writePacket(into: p, sendTime: DTLSTransport.monotonicNow())
                if let m = try? out.protectRTP(p, length: n, capacity: buffer.count) {
                    if send(spec.fd, p, m, Int32(MSG_DONTWAIT)) == m { sent &+= 1 }
                }
                nextAudioAt += 20_000_000
                if nextAudioAt + 20_000_000 < now { nextAudioAt = now + 20_000_000 }
            }
            next = min(next, nextAudioAt)
        }
        return next
    }

    // MARK: receiving

    /// One datagram from the server (RFC 7983 demultiplexing).
    func receive(_ p: UnsafeMutableRawPointer, _ length: Int, now: UInt64, delays: inout DelayHistogram) {
        guard length > 0 else { return }
        let b0 = p.load(as: UInt8.self)
        switch b0 {
        case 0...3:
            let bytes = [UInt8](UnsafeRawBufferPointer(start: p, count: length))
            perform(ice.handle(bytes, from: spec.answer.address, to: spec.local, now: Self.duration(now)), now: now)
        case 20...63:
            perform(dtls.handleDatagram(UnsafeRawBufferPointer(start: p, count: length), now: now), now: now)
        case 128...191:
            guard length >= 2 else { return }
            let b1 = p.load(fromByteOffset: 1, as: UInt8.self)
            if (192...223).contains(b1) { receiveRTCP(p, length) } else { receiveRTP(p, length, now: now, delays: &delays) }
        default:
            unknownPackets &+= 1
        }
    }

    func receiveRTCP(_ p: UnsafeMutableRawPointer, _ length: Int) {
        guard let srtp = srtpIn, let n = try? srtp.unprotectRTCP(p, length: length) else { srtpFailures &+= 1; return }
        guard spec.role == .publisher else { return }
        var offset = 0
        while offset + 4 <= n {
            let words = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)))
            let pt = p.load(fromByteOffset: offset + 1, as: UInt8.self)
            let fmt = p.load(fromByteOffset: offset, as: UInt8.self) & 0x1f
            if pt == RTCPPacketType.payloadFeedback, fmt == 1 || fmt == 4 {
                keyframeRequests &+= 1
                video?.requestKeyframe()
            }
            offset += (words + 1) * 4
        }
    }

    func receiveRTP(_ p: UnsafeMutableRawPointer, _ length: Int, now: UInt64, delays: inout DelayHistogram) {
        guard spec.role == .viewer else { return }
        guard let srtp = srtpIn, let n = try? srtp.unprotectRTP(p, length: length) else { srtpFailures &+= 1; return }
        guard let range = rtpPayloadRange(p, n) else { unknownPackets &+= 1; return }
        let payload = UnsafeRawBufferPointer(start: p + range.lowerBound, count: range.count)
        guard let stamp = MediaStamp.read(payload) else { unknownPackets &+= 1; return }   // e.g. padding probes
        let pt = p.load(fromByteOffset: 1, as: UInt8.self) & 0x7f
        let isVideo = pt == spec.answer.videoPT && spec.kinds.contains(.video)
        let seq = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let ts = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let ssrc = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        if isVideo {
            videoRx.counter.record(stamp.counter)
            videoRx.ssrc = ssrc
            _ = videoRx.rtp.received(sequenceNumber: seq, rtpTimestamp: ts, arrival: Int64(now / 1000), bytes: n)
            if firstKeyframeAt == 0, VP8PayloadDescriptor.parse(payload)?.isKeyframe == true { firstKeyframeAt = now }
        } else {
            audioRx.counter.record(stamp.counter)
            audioRx.ssrc = ssrc
            _ = audioRx.rtp.received(sequenceNumber: seq, rtpTimestamp: ts, arrival: Int64(now / 1000), bytes: n)
        }
        if now > stamp.sendTime { delays.record(now - stamp.sendTime) } else { delays.record(0) }
        if lastPacketAt != 0 {
            let gap = now &- lastPacketAt
            if gap > maxGap { maxGap = gap }
            if gap > 100_000_000 { freezes &+= 1 }
        }
        lastPacketAt = now
    }

    func close() {
        perform(dtls.close(), now: 0)
        state = .closed
        Glibc.close(spec.fd)
    }
}

import DTLS
import Foundation
import ICE
import RTP
import SDP

/// What the media path reports to signaling (off the worker thread).
public enum MediaEvent: Sendable {
    /// `remote`: the peer's address the transport latched (a host, server-reflexive, peer-reflexive or TURN relay address).
    case transportConnected(conferenceId: String, endpointId: String, streamId: String, viewerId: String?, remote: String)
    case transportFailed(conferenceId: String, endpointId: String, streamId: String, viewerId: String?, reason: String)
}

/// How a publisher's PeerConnection is set up on a worker.
public struct PublisherSpec: Sendable {
    public var conferenceId: String
    public var endpointId: String
    public var streamId: String
    public var localICE: IceCredentials
    public var remoteUfrag: String?
    public var remoteFingerprints: [DTLSFingerprint]
    /// Bandwidth cap for the publisher's video (REMB), bit/s.
    public var maxBitrate: UInt64 = PublisherSpec.defaultMaxBitrate
    public static let defaultMaxBitrate: UInt64 = 2_500_000
    /// Accepted m-lines in order: kind and the codecs negotiated.
    public var tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]

    public init(conferenceId: String, endpointId: String, streamId: String, localICE: IceCredentials, remoteUfrag: String?,
                remoteFingerprints: [DTLSFingerprint], tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]) {
        self.conferenceId = conferenceId
        self.endpointId = endpointId
        self.streamId = streamId
        self.localICE = localICE
        self.remoteUfrag = remoteUfrag
        self.remoteFingerprints = remoteFingerprints
        self.tracks = tracks
    }
}

/// One consumer of a viewer: which producer track, our SSRC, and the maps.
public struct ConsumerSpec: Sendable {
    public var trackIndex: Int
    public var ssrc: UInt32
    /// Our RTX SSRC and, per publisher payload type, the viewer's RTX payload type.
    public var rtxSSRC: UInt32? = nil
    public var rtxPayloadTypes: [(UInt8, UInt8)] = []
    /// Publisher payload type → viewer payload type.
    public var payloadTypes: [(UInt8, UInt8)]
    /// Publisher extension id → viewer extension id (extensions not listed are removed).
    public var extensions: [(UInt8, UInt8)]

    public init(trackIndex: Int, ssrc: UInt32, payloadTypes: [(UInt8, UInt8)], extensions: [(UInt8, UInt8)]) {
        self.trackIndex = trackIndex
        self.ssrc = ssrc
        self.payloadTypes = payloadTypes
        self.extensions = extensions
    }
}

public struct ViewerSpec: Sendable {
    public var conferenceId: String
    public var endpointId: String
    public var streamId: String
    public var viewerId: String
    public var localICE: IceCredentials
    public var remoteUfrag: String?
    public var remoteFingerprints: [DTLSFingerprint]
    public var consumers: [ConsumerSpec]

    public init(conferenceId: String, endpointId: String, streamId: String, viewerId: String, localICE: IceCredentials,
                remoteUfrag: String?, remoteFingerprints: [DTLSFingerprint], consumers: [ConsumerSpec]) {
        self.conferenceId = conferenceId
        self.endpointId = endpointId
        self.streamId = streamId
        self.viewerId = viewerId
        self.localICE = localICE
        self.remoteUfrag = remoteUfrag
        self.remoteFingerprints = remoteFingerprints
        self.consumers = consumers
    }
}

/// What a view answer needs to know of a published stream.
public struct PublishedTracks: Sendable {
    public var tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])]
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
    public var dropped: UInt64 = 0
    public var nackResent: UInt64 = 0
    public var nackMissed: UInt64 = 0
    public var nackSent: UInt64 = 0
    public var nackRecovered: UInt64 = 0
    public var rtxReceived: UInt64 = 0
    /// Packets received from other workers through pipes, and dropped on a full pipe.
    public var pipedIn: UInt64 = 0
    public var pipeDropped: UInt64 = 0
}

/// The router of one media worker: finds the transport of each datagram
/// (ICE ufrag, then the nominated address), runs ICE/DTLS/SRTP, and fans
/// each publisher packet out to its consumers, rewritten and re-protected.
/// Confined to the worker thread.
public final class WorkerRouter: DatagramHandler {
    let dtlsContext: DTLSContext
    let events: @Sendable (MediaEvent) -> Void
    var transports: [Int: PeerTransport] = [:]
    var byAddress: [UDPAddress: Int] = [:]
    var ufrags = UfragTable()
    var nextTransportID = 1
    var producers: [String: Producer] = [:]
    var producerByTransport: [Int: Producer] = [:]
    /// Viewer transport → its consumers, with the producer track each feeds from.
    var consumersByTransport: [Int: [(Consumer, ProducerTrack, Producer)]] = [:]
    var stats = RouterStats()
    /// Rings this worker feeds to other workers (signalled once per batch), and
    /// the rings other workers feed to this one with the pipe producer each fills.
    var pipesOut: [PipeRing] = []
    var pipesIn: [(ring: PipeRing, producer: Producer)] = []
    /// The worker's outbox, for sends that commands cause.
    var outbox: Outbox?
    /// Our SSRC in RTCP feedback sent to publishers.
    let feedbackSSRC: UInt32 = UInt32.random(in: 1...UInt32.max)
    var lastReports: UInt64 = 0
    var lastNACKTick: UInt64 = 0
    /// Scratch for the sequence numbers of one NACK (worker-owned, never reallocated).
    let nackScratch = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 128)
    /// Scratch for the video SSRCs of one REMB (worker-owned, never reallocated).
    let rembScratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 8)

    public init(dtlsContext: DTLSContext, events: @escaping @Sendable (MediaEvent) -> Void) {
        self.dtlsContext = dtlsContext
        self.events = events
    }

    deinit {
        nackScratch.deallocate()
        rembScratch.deallocate()
    }

    public func attach(_ out: Outbox) { outbox = out }

    static func key(_ conference: String, _ stream: String) -> String { conference + "\u{0}" + stream }

    /// How far back our outbound SRTP accepts a resend: twice what a track's
    /// NACK cache (1024 packets) can answer. Smaller is cheaper per protect.
    static let outboundReplayWindow = 2048

    @inline(__always) static func duration(_ ns: UInt64) -> Duration { .nanoseconds(Int64(ns)) }

    // MARK: - Commands (from the mailbox)

    /// ICE restart (RFC 8445 §9) on an existing PeerConnection: new local
    /// credentials and the peer's new ufrag; DTLS and SRTP are kept (the
    /// browser keeps them across an ICE restart). The old credentials are
    /// still answered until the peer uses the new ones.
    func restartICE(_ t: PeerTransport, _ local: IceCredentials, _ remoteUfrag: String?, now: UInt64) {
        let actions = t.ice.restart(local: local, remoteUfrag: remoteUfrag, now: Self.duration(now))
        _ = ufrags.insert(local.ufrag, session: t.id)
        for case .credentialsRetired(let old) in actions { ufrags.remove(old) }
        t.failure = t.failure == .consentExpired || t.failure == .iceFailed ? nil : t.failure
    }

    public func addPublisher(_ spec: PublisherSpec, now: UInt64) -> String? {
        let key = Self.key(spec.conferenceId, spec.streamId)
        if let existing = producers[key] {
            guard existing.transport.endpointId == spec.endpointId else { return "stream \(spec.streamId) is already published" }
            restartICE(existing.transport, spec.localICE, spec.remoteUfrag, now: now)
            return nil
        }
        guard let t = makeTransport(spec.conferenceId, spec.endpointId, .publisher(streamId: spec.streamId),
                                    spec.localICE, spec.remoteUfrag, spec.remoteFingerprints, now) else {
            return "cannot create the DTLS transport"
        }
        let p = Producer(transport: t, tracks: spec.tracks.map { ProducerTrack(kind: $0.kind, codecs: $0.codecs, extensions: $0.extensions) },
                         maxBitrate: spec.maxBitrate)
        producers[key] = p
        producerByTransport[t.id] = p
        return nil
    }

    public func setMaxBitrate(conferenceId: String, streamId: String, bitsPerSecond: UInt64) {
        producers[Self.key(conferenceId, streamId)]?.maxBitrate = bitsPerSecond
    }

    public func publishedTracks(conferenceId: String, streamId: String) -> PublishedTracks? {
        guard let p = producers[Self.key(conferenceId, streamId)] else { return nil }
        return PublishedTracks(tracks: p.tracks.map { ($0.kind, $0.codecs, $0.extensions) })
    }

    public func addViewer(_ spec: ViewerSpec, now: UInt64) -> String? {
        guard let p = producers[Self.key(spec.conferenceId, spec.streamId)] else { return "stream \(spec.streamId) is not published" }
        if let existing = transports.values.first(where: {
            $0.conferenceId == spec.conferenceId && $0.role == .viewer(streamId: spec.streamId, viewerId: spec.viewerId)
        }) {
            guard existing.endpointId == spec.endpointId else { return "viewer \(spec.viewerId) belongs to another endpoint" }
            restartICE(existing, spec.localICE, spec.remoteUfrag, now: now)
            return nil
        }
        guard let t = makeTransport(spec.conferenceId, spec.endpointId, .viewer(streamId: spec.streamId, viewerId: spec.viewerId),
                                    spec.localICE, spec.remoteUfrag, spec.remoteFingerprints, now) else {
            return "cannot create the DTLS transport"
        }
        var list: [(Consumer, ProducerTrack, Producer)] = []
        for cs in spec.consumers where cs.trackIndex < p.tracks.count {
            let track = p.tracks[cs.trackIndex]
            let c = Consumer(transport: t, kind: track.kind, ssrc: cs.ssrc)
            for (from, to) in cs.payloadTypes where from < 128 { c.payloadTypeMap[Int(from)] = to }
            for (from, to) in cs.extensions where to < 15 { c.extensionMap[from] = to }
            for (from, to) in cs.rtxPayloadTypes where from < 128 { c.rtxPayloadTypeMap[Int(from)] = to }
            c.rtxSSRC = cs.rtxSSRC
            track.consumers.append(c)
            list.append((c, track, p))
        }
        consumersByTransport[t.id] = list
        return nil
    }

    public func removePublisher(conferenceId: String, streamId: String) {
        guard let p = producers.removeValue(forKey: Self.key(conferenceId, streamId)) else { return }
        detachPipes(p)
        producerByTransport[p.transport.id] = nil
        closeTap(p)
        remove(p.transport)
        // Viewers of this stream lose their source: an RTCP BYE ends their
        // tracks (RFC 3550 §6.6), then their transports go too.
        for track in p.tracks {
            for c in track.consumers {
                sendBye(c)
                remove(c.transport)
            }
        }
    }

    public func removeViewer(conferenceId: String, streamId: String, viewerId: String) {
        guard let t = transports.values.first(where: {
            $0.conferenceId == conferenceId && $0.role == .viewer(streamId: streamId, viewerId: viewerId)
        }) else { return }
        remove(t)
    }

    public func removeConference(_ conferenceId: String) {
        for t in transports.values where t.conferenceId == conferenceId { remove(t) }
        for (k, p) in producers where p.transport.conferenceId == conferenceId {
            detachPipes(p)
            producers[k] = nil
            producerByTransport[p.transport.id] = nil
            closeTap(p)
        }
    }

    public func currentStats() -> RouterStats {
        var s = stats
        s.transports = transports.count
        s.tcpTransports = transports.values.reduce(0) { $0 + ($1.path?.isTCP == true ? 1 : 0) }
        s.producers = producers.count
        s.consumers = consumersByTransport.values.reduce(0) { $0 + $1.count }
        return s
    }

    func makeTransport(_ conf: String, _ endpoint: String, _ role: PeerTransport.Role, _ local: IceCredentials,
                       _ remoteUfrag: String?, _ fingerprints: [DTLSFingerprint], _ now: UInt64) -> PeerTransport? {
        guard let dtls = try? DTLSTransport(context: dtlsContext, role: .passive, expectedFingerprints: fingerprints, now: now) else { return nil }
        let id = nextTransportID
        nextTransportID += 1
        let agent = IceLiteAgent(local: local, remoteUfrag: remoteUfrag, now: Self.duration(now))
        let t = PeerTransport(id: id, conferenceId: conf, endpointId: endpoint, role: role, ice: agent, localUfrag: local.ufrag, dtls: dtls)
        transports[id] = t
        _ = ufrags.insert(local.ufrag, session: id)
        return t
    }

    func remove(_ t: PeerTransport) {
        guard transports.removeValue(forKey: t.id) != nil else { return }
        for a in t.validated where byAddress[a] == t.id { byAddress[a] = nil }
        ufrags.removeSession(t.id)
        _ = t.dtls.close() // close_notify is best effort; the socket path may be gone
        if let list = consumersByTransport.removeValue(forKey: t.id) {
            for (c, track, _) in list { track.consumers.removeAll { $0 === c } }
        }
        if let p = producerByTransport.removeValue(forKey: t.id) {
            closeTap(p)
            for (k, v) in producers where v === p { producers[k] = nil }
            detachPipes(p)
        }
    }

    // MARK: - Datagrams

    public func received(_ packet: UnsafeMutableRawPointer, length: Int, from: UDPAddress, out: Outbox, now: UInt64) {
        guard length > 0 else { return }
        let first = Wire.u8(packet, 0)
        switch first {
        case 0...3:
            handleSTUN(packet, length, from, out, now)
        case 20...63:
            guard let id = byAddress[from], let t = transports[id] else { stats.dropped &+= 1; return }
            handleDTLSActions(t, t.dtls.handleDatagram(UnsafeRawBufferPointer(start: packet, count: length), now: now), out, now)
        case 128...191:
            guard length >= 12, let id = byAddress[from], let t = transports[id], t.isConnected else { stats.dropped &+= 1; return }
            if t.path != from { t.path = from } // latch onto the validated address media comes from
            t.packetsIn &+= 1
            t.bytesIn &+= UInt64(length)
            let pt = Wire.u8(packet, 1)
            if pt >= 192 && pt <= 223 {
                handleRTCP(t, packet, length, out, now)
            } else {
                handleRTP(t, packet, length, out, now)
            }
        default:
            stats.dropped &+= 1
        }
    }

    func handleSTUN(_ packet: UnsafeMutableRawPointer, _ length: Int, _ from: UDPAddress, _ out: Outbox, _ now: UInt64) {
        let buf = UnsafeRawBufferPointer(start: packet, count: length)
        guard let id = ufrags.lookup(buf) ?? byAddress[from], let t = transports[id], let source = SocketAddress(from.storage) else {
            stats.dropped &+= 1
            return
        }
        let actions = t.ice.handle(buf, from: source, now: Self.duration(now))
        handleICEActions(t, actions, from, out, now)
    }

    /// `path` is the request's path: responses and the selected path keep its
    /// local address, socket and transport (the agent only answers its
    /// source; timer ticks pass nil and never send).
    func handleICEActions(_ t: PeerTransport, _ actions: [IceLiteAgent.Action], _ path: UDPAddress?, _ out: Outbox, _ now: UInt64) {
        for a in actions {
            switch a {
            case .send(let bytes, _):
                if let path { out.send(bytes, to: path) }
            case .selectPath(_):
                guard let addr = path else { break }
                t.path = addr
                if !t.validated.contains(addr) {
                    if t.validated.count == 4 {
                        let old = t.validated.removeFirst()
                        if byAddress[old] == t.id { byAddress[old] = nil }
                    }
                    t.validated.append(addr)
                }
                byAddress[addr] = t.id
                if !t.dtlsStarted {
                    t.dtlsStarted = true
                    handleDTLSActions(t, t.dtls.start(now: now), out, now)
                }
            case .connected:
                break
            case .consentExpired:
                fail(t, .consentExpired, "ICE consent expired (no binding request for 30 s)")
            case .failed:
                if t.failure == nil { fail(t, .iceFailed, "ICE failed") }
            case .credentialsRetired(let ufrag):
                ufrags.remove(ufrag)
            case .ignore:
                break
            }
        }
    }

    func handleDTLSActions(_ t: PeerTransport, _ actions: [DTLSAction], _ out: Outbox, _ now: UInt64) {
        for a in actions {
            switch a {
            case .send(let bytes):
                if let path = t.path { out.send(bytes, to: path) }
            case .connected(let keys):
                do {
                    t.srtpIn = try SRTPSession(inbound: keys)
                    t.srtpOut = try SRTPSession(outbound: keys, replayWindow: Self.outboundReplayWindow)
                } catch {
                    fail(t, .dtls("SRTP setup failed: \(error)"), "SRTP setup failed")
                    return
                }
                let viewerId: String? = { if case .viewer(_, let v) = t.role { return v }; return nil }()
                events(.transportConnected(conferenceId: t.conferenceId, endpointId: t.endpointId, streamId: t.streamId, viewerId: viewerId,
                                           remote: t.path?.description ?? "unknown"))
                if let list = consumersByTransport[t.id] {
                    for (_, track, p) in list where track.kind == .video { requestKeyframe(p, track, out, now, force: true) }
                }
            case .failed(let f):
                fail(t, .dtls(f.description), f.description)
            case .closed:
                if t.failure == nil { fail(t, .dtls("peer closed DTLS"), "the peer closed the DTLS connection") }
            }
        }
    }

    func fail(_ t: PeerTransport, _ failure: PeerTransport.Failure, _ reason: String) {
        guard t.failure == nil else { return }
        t.failure = failure
        let viewerId: String? = { if case .viewer(_, let v) = t.role { return v }; return nil }()
        events(.transportFailed(conferenceId: t.conferenceId, endpointId: t.endpointId, streamId: t.streamId, viewerId: viewerId, reason: reason))
    }

    // MARK: - RTP

    func handleRTP(_ t: PeerTransport, _ packet: UnsafeMutableRawPointer, _ length: Int, _ out: Outbox, _ now: UInt64) {
        guard let p = producerByTransport[t.id], let srtp = t.srtpIn else { stats.dropped &+= 1; return }
        let unprotected: Int
        do { unprotected = try srtp.unprotectRTP(packet, length: length) } catch { t.srtpErrors &+= 1; stats.srtpErrors &+= 1; return }
        stats.rtpIn &+= 1
        var packet = packet
        var n = unprotected
        var pt = Wire.u8(packet, 1) & 0x7f
        var ti = p.trackByPayloadType[Int(pt)]
        if ti < 0 {
            // RFC 4588: a retransmission we asked for (or a padding probe) on the RTX stream.
            let ri = p.trackByRTXPayloadType[Int(pt)]
            guard ri >= 0, let mediaSSRC = p.tracks[Int(ri)].ssrc, let view = try? RTPPacketView(validating: packet, length: n),
                  view.payloadLength >= 2, let apt = Optional(p.tracks[Int(ri)].aptByRTX[Int(pt)]), apt >= 0,
                  let (offset, length) = RTX.decapsulate(view, payloadType: UInt8(apt), ssrc: mediaSSRC) else {
                stats.dropped &+= 1
                return
            }
            packet += offset
            n = length
            pt = UInt8(apt)
            ti = ri
            stats.rtxReceived &+= 1
        }
        let track = p.tracks[Int(ti)]
        let ssrc = Wire.u32(packet, 8)
        if track.ssrc != ssrc {
            // One source per track: another SSRC on the same payload type (a
            // second simulcast encoding) is ignored while the current one is alive;
            // after 1 s of silence the new SSRC takes over (a restarted source).
            if track.ssrc != nil && now &- track.lastPacketAt < 1_000_000_000 { stats.dropped &+= 1; return }
            if track.ssrc != nil {
                track.receive = ReceiveStats(clockRate: track.clockRate)
                track.cache?.removeAll()
            }
            track.ssrc = ssrc
        }
        track.packets &+= 1
        track.lastPacketAt = now
        if let tap = p.recorderTap { tap.push(track: Int(ti), rtp: packet, length: n, arrival: now) }
        _ = track.receive.received(sequenceNumber: Wire.u16(packet, 2), rtpTimestamp: Wire.u32(packet, 4),
                                   arrival: Int64(now / 1000), bytes: n)
        if let nack = track.nack, nack.received(Wire.u16(packet, 2)) == .recovered { stats.nackRecovered &+= 1 }
        if !p.pipes.isEmpty { pushToPipes(p, Int(ti), packet, n, now) }
        forward(p, track, packet, n, ssrc: ssrc, out, now)
    }

    /// Fans one publisher packet (decrypted, RTX unwrapped) out to the
    /// consumers of `track` on this worker: caches it for NACKs, gates on
    /// keyframes, rewrites and protects it per consumer. Packets piped from
    /// another worker enter here too.
    func forward(_ p: Producer, _ track: ProducerTrack, _ packet: UnsafeMutableRawPointer, _ n: Int, ssrc: UInt32,
                 _ out: Outbox, _ now: UInt64) {
        guard let layout = RTPLayout(packet, n) else { stats.dropped &+= 1; return }
        // Padding-only packets (bandwidth probes) are forwarded too: dropping
        // them would leave holes in the viewer's sequence numbers, which it
        // would NACK and wait for.
        if let cache = track.cache, let view = try? RTPPacketView(validating: packet, length: n) {
            cache.store(view, now: Int64(now / 1000))
        }
        var keyframe = true
        if track.isVideo {
            if let codec = track.codecByPayloadType[Int(layout.payloadType)] {
                keyframe = Keyframe.isKeyframe(codec, payload: UnsafeRawBufferPointer(start: packet + layout.headerLength,
                                                                                      count: max(0, layout.payloadLength)))
            }
        }
        // Index loops, not `for in`: a generic iterator costs a coroutine frame
        // (a malloc) per element in unoptimized builds, and retains each element.
        let consumers = track.consumers
        var ci = 0
        while ci < consumers.count {
            let c = consumers[ci]
            ci += 1
            guard c.transport.isConnected else { continue }
            if c.waitingForKeyframe {
                if !keyframe {
                    if now &- c.lastKeyframeAsk > 1_000_000_000 {
                        c.lastKeyframeAsk = now
                        requestKeyframe(p, track, out, now, force: false)
                    }
                    continue
                }
                c.waitingForKeyframe = false
            }
            if c.lastSourceSSRC != ssrc {
                c.resync(toSeq: layout.sequenceNumber, ts: layout.timestamp, ssrc: ssrc, now: now, clockRate: track.clockRate)
            }
            if send(packet, layout, to: c, out) {
                c.lastForwardAt = now
                c.packetsSent &+= 1
                c.octetsSent &+= UInt64(layout.payloadLength)
                stats.rtpOut &+= 1
            }
        }
    }

    /// Copies a publisher packet into a send slot, rewrites it for consumer
    /// `c` (payload type, sequence number, timestamp, SSRC, extension ids),
    /// protects it with the viewer's session and queues it.
    @inline(__always)
    func send(_ packet: UnsafeRawPointer, _ layout: RTPLayout, to c: Consumer, _ out: Outbox) -> Bool {
        let vt = c.transport
        guard let srtp = vt.srtpOut, let path = vt.path else { return false }
        let vpt = c.payloadTypeMap[Int(layout.payloadType)]
        guard vpt != 0xff else { return false }
        let n = layout.length
        let slot = out.reserve()
        // NACK answers are built in the reserved slot itself: no copy then.
        if UnsafeRawPointer(slot) != packet { slot.copyMemory(from: packet, byteCount: n) }
        Wire.set8(slot, 1, (Wire.u8(packet, 1) & 0x80) | vpt)
        let oseq = layout.sequenceNumber &+ c.seqDelta
        let ots = layout.timestamp &+ c.tsDelta
        Wire.set16(slot, 2, oseq)
        Wire.set32(slot, 4, ots)
        Wire.set32(slot, 8, c.ssrc)
        if layout.extensionStart >= 0, let view = try? RTPPacketView(validating: slot, length: n) {
            view.rewriteExtensionIDs(c.extensionMap)
        }
        let protected: Int
        do { protected = try srtp.protectRTP(slot, length: n, capacity: PacketPool.slotSize) } catch { vt.srtpErrors &+= 1; return false }
        out.commit(length: protected, to: path)
        if Int16(bitPattern: oseq &- c.lastOutSeq) > 0 || c.packetsSent == 0 {
            c.lastOutSeq = oseq
            c.lastOutTs = ots
        }
        vt.packetsOut &+= 1
        return true
    }

    /// Re-sends a cached packet to viewer `c` on its RTX stream (RFC 4588):
    /// RTX SSRC, RTX payload type and sequence number, the viewer-space
    /// original sequence number (OSN) in front of the payload.
    func sendRTX(_ original: RTPPacketView, to c: Consumer, rtxSSRC: UInt32, viewerSeq: UInt16, _ out: Outbox) -> Bool {
        let vt = c.transport
        guard let srtp = vt.srtpOut, let path = vt.path else { return false }
        let rtxPT = c.rtxPayloadTypeMap[Int(original.payloadType)]
        guard rtxPT != 0xff else { return false }
        let slot = out.reserve()
        guard let n = RTX.encapsulate(original, into: slot, capacity: 1500, ssrc: rtxSSRC, payloadType: rtxPT, sequenceNumber: c.rtxSeq) else { return false }
        c.rtxSeq &+= 1
        Wire.set16(slot, original.payloadOffset, viewerSeq) // OSN in the viewer's sequence space
        Wire.set32(slot, 4, Wire.u32(slot, 4) &+ c.tsDelta)
        if Wire.u8(slot, 0) & 0x10 != 0, let view = try? RTPPacketView(validating: slot, length: n) {
            view.rewriteExtensionIDs(c.extensionMap)
        }
        guard let protected = try? srtp.protectRTP(slot, length: n, capacity: PacketPool.slotSize) else { return false }
        out.commit(length: protected, to: path)
        return true
    }

    /// Answers a viewer's NACK from the producer track's packet cache: as
    /// RTX when the viewer negotiated it, otherwise re-sent as it was (same
    /// sequence number; the outbound SRTP session allows repeated protection).
    func answerNACK(_ c: Consumer, _ track: ProducerTrack, _ fci: UnsafeRawPointer, _ items: Int, _ out: Outbox, _ now: UInt64) {
        guard let cache = track.cache else { return }
        var i = 0
        while i < items {
            defer { i += 1 }
            let pid = Wire.u16(fci, 4 * i)
            var blp = Wire.u16(fci, 4 * i + 2)
            var k: UInt16 = 0
            var seq = pid
            while true {
                let sourceSeq = seq &- c.seqDelta
                if let rtxSSRC = c.rtxSSRC, let view = cache.packet(sequenceNumber: sourceSeq, now: Int64(now / 1000)) {
                    if sendRTX(view, to: c, rtxSSRC: rtxSSRC, viewerSeq: seq, out) { stats.nackResent &+= 1 } else { stats.nackMissed &+= 1 }
                } else {
                    let slot = out.reserve()
                    if let n = cache.copy(sequenceNumber: sourceSeq, now: Int64(now / 1000), into: slot, capacity: 1500),
                       let layout = RTPLayout(slot, n), send(slot, layout, to: c, out) {
                        stats.nackResent &+= 1
                    } else {
                        stats.nackMissed &+= 1
                    }
                }
                if blp == 0 { break }
                while blp & 1 == 0 { blp >>= 1; k += 1 }
                blp >>= 1
                k += 1
                seq = pid &+ k
            }
        }
    }

    // MARK: - RTCP

    func handleRTCP(_ t: PeerTransport, _ packet: UnsafeMutableRawPointer, _ length: Int, _ out: Outbox, _ now: UInt64) {
        guard let srtp = t.srtpIn else { return }
        let n: Int
        do { n = try srtp.unprotectRTCP(packet, length: length) } catch { t.srtpErrors &+= 1; stats.srtpErrors &+= 1; return }
        var o = 0
        while o + 4 <= n {
            let b0 = Wire.u8(packet, o)
            guard b0 >> 6 == 2 else { return }
            let pt = Wire.u8(packet, o + 1)
            let size = 4 * (Int(Wire.u16(packet, o + 2)) + 1)
            guard o + size <= n else { return }
            let fmt = b0 & 0x1f
            switch pt {
            case 200 where size >= 28: // SR from a publisher: keep NTP↔RTP for lip sync
                if let p = producerByTransport[t.id] {
                    let ssrc = Wire.u32(packet, o + 4)
                    if let track = p.track(ssrc: ssrc) {
                        let ntp = UInt64(Wire.u32(packet, o + 8)) << 32 | UInt64(Wire.u32(packet, o + 12))
                        track.lastSR = (ntp, Wire.u32(packet, o + 16), now)
                        if let tap = p.recorderTap { tapSenderReport(tap, p, track, ntp: ntp, rtp: Wire.u32(packet, o + 16), now) }
                        if !p.pipes.isEmpty { pushSenderReport(p, track, ntp: ntp, rtp: Wire.u32(packet, o + 16), now) }
                        track.receive.senderReportReceived(ntp: NTPTimestamp(raw: ntp), arrival: Int64(now / 1000))
                    }
                }
            case 205 where fmt == 1 && size >= 16: // Generic NACK from a viewer (RFC 4585 §6.2.1)
                let mediaSSRC = Wire.u32(packet, o + 8)
                if let list = consumersByTransport[t.id] {
                    var i = 0
                    while i < list.count {
                        let (c, track, _) = list[i]
                        i += 1
                        if c.ssrc == mediaSSRC { answerNACK(c, track, packet + o + 12, (size - 12) / 4, out, now); break }
                    }
                }
            case 206 where (fmt == 1 || fmt == 4) && size >= 12: // PLI / FIR from a viewer
                if let list = consumersByTransport[t.id] {
                    var i = 0
                    while i < list.count {
                        let (_, track, p) = list[i]
                        i += 1
                        if track.isVideo { requestKeyframe(p, track, out, now, force: false) }
                    }
                }
            default:
                break // RR, SDES, BYE, NACK, REMB, TWCC: terminated here (docs/RTCP.md)
            }
            o += size
        }
    }

    /// Sends a PLI to the publisher of `track`, at most every 300 ms (de-duplicated across viewers).
    func requestKeyframe(_ p: Producer, _ track: ProducerTrack, _ out: Outbox, _ now: UInt64, force: Bool) {
        if let upstream = p.upstream { requestKeyframe(through: upstream, p, track, now, force: force); return }
        guard let media = track.ssrc, let path = p.transport.path, let srtp = p.transport.srtpOut else { return }
        if !force && now &- track.lastKeyframeRequest < 300_000_000 { return }
        if force && now &- track.lastKeyframeRequest < 50_000_000 { return }
        track.lastKeyframeRequest = now
        let slot = out.reserve()
        Wire.set8(slot, 0, 0x81) // V=2, P=0, FMT=1 (PLI)
        Wire.set8(slot, 1, 206)  // PSFB
        Wire.set16(slot, 2, 2)   // length: 3 words - 1
        Wire.set32(slot, 4, feedbackSSRC)
        Wire.set32(slot, 8, media)
        guard let len = try? srtp.protectRTCP(slot, length: 12, capacity: PacketPool.slotSize) else { return }
        out.commit(length: len, to: path)
    }

    /// Generic NACKs (RFC 4585 §6.2.1) toward publishers for video packets
    /// lost on their leg, as the NACK generator schedules them.
    func sendPublisherNACKs(_ out: Outbox, _ now: UInt64) {
        for p in producers.values {
            let t = p.transport
            guard t.isConnected, let srtp = t.srtpOut, let path = t.path else { continue }
            var ti = 0
            while ti < p.tracks.count {
                let track = p.tracks[ti]
                ti += 1
                guard let nack = track.nack, let media = track.ssrc, nack.count > 0 else { continue }
                let n = nack.tick(now: Int64(now / 1000), rtt: nil, into: nackScratch)
                if n == 0 { continue }
                let slot = out.reserve()
                let buffer = UnsafeMutableRawBufferPointer(start: slot, count: PacketPool.slotSize - SRTPSession.rtcpHeadroom)
                guard let length = try? GenericNACK.serialize(senderSSRC: feedbackSSRC, mediaSSRC: media,
                                                              lost: UnsafeBufferPointer(rebasing: nackScratch[0..<n]), into: buffer),
                      let protected = try? srtp.protectRTCP(slot, length: length, capacity: PacketPool.slotSize) else { continue }
                out.commit(length: protected, to: path)
                stats.nackSent &+= UInt64(n)
            }
        }
    }

    /// Receiver reports and a REMB to every publisher (every 500 ms): the
    /// reports let the browser's loss-based estimate grow, the REMB caps it
    /// at the stream's bitrate (`videoBitrate`).
    func sendPublisherFeedback(_ out: Outbox, _ now: UInt64) {
        let ssrcs = rembScratch
        for p in producers.values {
            let t = p.transport
            guard t.isConnected, let srtp = t.srtpOut, let path = t.path else { continue }
            let slot = out.reserve()
            let buffer = UnsafeMutableRawBufferPointer(start: slot, count: PacketPool.slotSize - SRTPSession.rtcpHeadroom)
            var length = 0
            var videoCount = 0
            var ti = 0
            while ti < p.tracks.count {
                let track = p.tracks[ti]
                ti += 1
                guard let ssrc = track.ssrc, length + 32 <= buffer.count - 64 else { continue }
                let block = track.receive.makeReport(ssrc: ssrc, now: Int64(now / 1000))
                guard let n = try? ReceiverReport.serialize(ssrc: feedbackSSRC, report: block,
                                                            into: UnsafeMutableRawBufferPointer(rebasing: buffer[length...])) else { continue }
                length += n
                if track.isVideo && videoCount < ssrcs.count { ssrcs[videoCount] = ssrc; videoCount += 1 }
            }
            if length == 0 { continue } // nothing received yet
            if videoCount > 0 {
                let n = try? REMB.serialize(senderSSRC: feedbackSSRC, bitrate: p.maxBitrate,
                                            ssrcs: UnsafeBufferPointer(start: ssrcs.baseAddress, count: videoCount),
                                            into: UnsafeMutableRawBufferPointer(rebasing: buffer[length...]))
                length += n ?? 0
            }
            guard let protected = try? srtp.protectRTCP(slot, length: length, capacity: PacketPool.slotSize) else { continue }
            out.commit(length: protected, to: path)
        }
    }

    /// RTCP BYE for a consumer's SSRC.
    func sendBye(_ c: Consumer) {
        guard let out = outbox, let srtp = c.transport.srtpOut, let path = c.transport.path, c.transport.failure == nil else { return }
        let slot = out.reserve()
        Wire.set8(slot, 0, 0x81) // V=2, SC=1
        Wire.set8(slot, 1, 203)  // BYE
        Wire.set16(slot, 2, 1)
        Wire.set32(slot, 4, c.ssrc)
        guard let len = try? srtp.protectRTCP(slot, length: 8, capacity: PacketPool.slotSize) else { return }
        out.commit(length: len, to: path)
    }

    /// Sender reports to viewers (every second), translated from the
    /// publisher's so that browsers keep audio and video in sync.
    func sendSenderReports(_ out: Outbox, _ now: UInt64) {
        for (tid, list) in consumersByTransport {
            guard let t = transports[tid], t.isConnected, let srtp = t.srtpOut, let path = t.path else { continue }
            var i = 0
            while i < list.count {
                let (c, track, _) = list[i]
                i += 1
                guard c.started, let sr = track.lastSR else { continue }
                let elapsedNs = now &- sr.at
                // NTP: seconds in the high 32 bits, fraction in the low 32.
                let ntp = sr.ntp &+ (elapsedNs / 1_000_000_000) << 32 &+ ((elapsedNs % 1_000_000_000) << 32) / 1_000_000_000
                let rtp = sr.rtp &+ UInt32(truncatingIfNeeded: elapsedNs &* UInt64(track.clockRate) / 1_000_000_000) &+ c.tsDelta
                let slot = out.reserve()
                Wire.set8(slot, 0, 0x80)  // V=2, RC=0
                Wire.set8(slot, 1, 200)   // SR
                Wire.set16(slot, 2, 6)    // 7 words - 1
                Wire.set32(slot, 4, c.ssrc)
                Wire.set32(slot, 8, UInt32(truncatingIfNeeded: ntp >> 32))
                Wire.set32(slot, 12, UInt32(truncatingIfNeeded: ntp))
                Wire.set32(slot, 16, rtp)
                Wire.set32(slot, 20, UInt32(truncatingIfNeeded: c.packetsSent))
                Wire.set32(slot, 24, UInt32(truncatingIfNeeded: c.octetsSent))
                guard let len = try? srtp.protectRTCP(slot, length: 28, capacity: PacketPool.slotSize) else { continue }
                out.commit(length: len, to: path)
            }
        }
    }

    // MARK: - Timers

    /// An idle worker (no transports, no pipes) needs no ticks.
    public var hasTimers: Bool { !transports.isEmpty || !pipesIn.isEmpty || !pipesOut.isEmpty }

    public func tick(out: Outbox, now: UInt64) {
        let d = Self.duration(now)
        for t in transports.values {
            if let deadline = t.ice.nextDeadline, deadline <= d {
                handleICEActions(t, t.ice.tick(now: d), nil, out, now)
            }
            if t.dtlsStarted, let timeout = t.dtls.nextTimeout, timeout <= now {
                handleDTLSActions(t, t.dtls.handleTimeout(now: now), out, now)
            }
        }
        if now &- lastNACKTick >= 20_000_000 {
            lastNACKTick = now
            sendPublisherNACKs(out, now)
        }
        if now &- lastReports >= 500_000_000 {
            lastReports = now
            sendSenderReports(out, now)
            sendPublisherFeedback(out, now)
        }
    }
}

/// Where the parts of an RTP packet are (RFC 3550 §5.1), found once per packet.
struct RTPLayout {
    let length: Int
    let headerLength: Int
    let payloadLength: Int
    /// Offset of the header extension, or -1.
    let extensionStart: Int
    let payloadType: UInt8
    let sequenceNumber: UInt16
    let timestamp: UInt32

    @inline(__always)
    init?(_ p: UnsafeRawPointer, _ n: Int) {
        guard n >= 12 else { return nil }
        let b0 = Wire.u8(p, 0)
        var h = 12 + 4 * Int(b0 & 0x0f)
        var ext = -1
        if b0 & 0x10 != 0 {
            guard h + 4 <= n else { return nil }
            ext = h
            h += 4 + 4 * Int(Wire.u16(p, h + 2))
        }
        guard h <= n else { return nil }
        var payload = n - h
        if b0 & 0x20 != 0 { payload -= Int(Wire.u8(p, n - 1)) }
        length = n
        headerLength = h
        payloadLength = payload
        extensionStart = ext
        payloadType = Wire.u8(p, 1) & 0x7f
        sequenceNumber = Wire.u16(p, 2)
        timestamp = Wire.u32(p, 4)
    }
}

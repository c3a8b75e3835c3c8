import DTLS
import Foundation
import Handoff
import HTTP
import ICE
import JSON
import Recorder
import RTPRouter
import SDP

/// The media controller of ROUTER mode: negotiates each PeerConnection
/// (SDP answer with our ICE-lite credentials, DTLS fingerprint and host
/// candidates) and installs it on a media worker. A conference's publishers
/// live on its home worker (the least loaded at its first stream); its
/// viewers join the publisher's worker until that worker carries
/// `spillThreshold` transports, then the least-loaded worker, which gets the
/// stream through a pipe (`PipeRing`) from the publisher's worker
/// (`WorkerPlacement` decides, see docs/ARCHITECTURE.md).
public final class RouterMedia: MediaController, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// Worker i listens on `basePort + i` (0: any free port).
        public var basePort: UInt16 = 40000
        /// Addresses put in host candidates (NAT / cloud: the public ones).
        public var announcedAddresses: [String] = []
        /// Local addresses the workers' media sockets bind to (empty: every address, dual stack).
        public var listenAddresses: [String] = []
        /// ICE-TCP (RFC 6544 passive candidates on a TCP port per worker); nil: UDP only.
        public var tcp: MediaTCP.Limits? = MediaTCP.Limits()
        /// Transports a worker takes before a conference's viewers spill to
        /// the least-loaded worker (0: every viewer goes to the least loaded).
        public var spillThreshold = 500
        /// Packets queued per recorded stream between the worker and the recorder thread.
        public var recorderTapSlots = RecorderTap.defaultSlotCount
        public init() {}
    }

    public let workers: [MediaWorker<WorkerRouter>]
    let certificate: DTLSCertificate
    let context: DTLSContext
    let announced: [String]
    public let listenAddresses: [String]
    private let lock = NSLock()
    private var placement: WorkerPlacement
    /// Recorded conferences and the recorder thread (RouterMediaRecording.swift).
    let recording: RecordingRegistry
    /// What we negotiate: the SDP module's default without transport-cc
    /// (we send REMB and receiver reports; transport-wide feedback is not
    /// generated yet, and negotiating it without sending it starves the
    /// browser's bandwidth estimate).
    static let policy: CodecPolicy = {
        var p = CodecPolicy.default
        p.rtcpFeedback.remove("transport-cc")
        p.headerExtensions.remove("http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
        return p
    }()

    /// Header extensions forwarded to viewers (with the ids they negotiated); others are removed.
    static let forwardedExtensions: Set<String> = [
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "urn:3gpp:video-orientation",
        "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
    ]

    public init(configuration: Configuration, recordingFactory: @escaping @Sendable () -> RecorderThread.RecordingFactory = RecorderThread.defaultFactory,
                events: @escaping @Sendable (MediaEvent) -> Void) throws {
        recording = RecordingRegistry(makeFactory: recordingFactory, tapSlots: configuration.recorderTapSlots)
        certificate = try DTLSCertificate()
        context = try DTLSContext(certificate: certificate)
        var ws: [MediaWorker<WorkerRouter>] = []
        for i in 0..<configuration.workers {
            let port = configuration.basePort == 0 ? 0 : configuration.basePort &+ UInt16(i)
            let w = try MediaWorker<WorkerRouter>(index: i, port: port, listen: configuration.listenAddresses, tcp: configuration.tcp)
            let ctx = context
            w.start { WorkerRouter(dtlsContext: ctx, events: events) }
            ws.append(w)
        }
        workers = ws
        placement = WorkerPlacement(workers: ws.count, spillThreshold: configuration.spillThreshold)
        listenAddresses = configuration.listenAddresses
        announced = !configuration.announcedAddresses.isEmpty ? configuration.announcedAddresses
            : RouterMedia.candidateAddresses(listening: configuration.listenAddresses)
        let registry = recording
        Metrics.shared.registerRecorder { registry.counters }
    }

    /// The host candidates' addresses when nothing is announced: the listened
    /// addresses, a wildcard standing for every local address of its family.
    public static func candidateAddresses(listening: [String]) -> [String] {
        if listening.isEmpty { return localAddresses() }
        var out: [String] = []
        for a in listening {
            if a == "0.0.0.0" {
                out += localAddresses().filter { !$0.contains(":") }
            } else if a == "::" || a == "::0" {
                out += localAddresses().filter { $0.contains(":") }
            } else {
                out.append(a)
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// This host's addresses: every up interface's IPv4/IPv6 address (link-local excluded), loopback (127.0.0.1, ::1) last.
    public static func localAddresses() -> [String] {
        var out: [String] = []
        var loopback: [String] = []
        var ifap: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&ifap) == 0, let first = ifap else { return ["127.0.0.1"] }
        defer { freeifaddrs(ifap) }
        var p: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = p {
            defer { p = ifa.pointee.ifa_next }
            guard let sa = ifa.pointee.ifa_addr, ifa.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let len = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(sa, len, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let ip = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if ip.hasPrefix("fe80") || ip.contains("%") { continue }
            if ifa.pointee.ifa_flags & UInt32(IFF_LOOPBACK) != 0 {
                if family == AF_INET || ip == "::1" { loopback.append(ip) }
            } else {
                out.append(ip)
            }
        }
        return out + loopback
    }

    public var ports: [UInt16] { workers.map(\.port) }
    /// The workers' ICE-TCP ports (empty when ICE-TCP is off).
    public var tcpPorts: [UInt16] { workers.compactMap(\.tcpPort) }
    public var announcedAddresses: [String] { announced }

    private func withPlacement<T>(_ body: (inout WorkerPlacement) -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        return body(&placement)
    }

    /// The worker holding a conference's publishers (nil before its first stream).
    func existingWorker(for conferenceId: String) -> MediaWorker<WorkerRouter>? {
        withPlacement { $0.home(of: conferenceId) }.map { workers[$0] }
    }

    /// Transports per worker, as placed (for tests and metrics).
    public var workerLoad: [Int] { withPlacement { $0.load } }

    /// Pipes stream `streamId` from worker `source` to worker `target`: the
    /// pipe producer is installed on the target before the source starts
    /// filling the ring (both through the workers' FIFO mailboxes, so a viewer
    /// added to the target afterwards finds the producer).
    private func startPipe(conferenceId: String, streamId: String, tracks: PublishedTracks, from source: Int, to target: Int) {
        let ring = PipeRing()
        let upstreamWorker = workers[source]
        let upstream = PipeUpstream(ring: ring) { trackIndex, force, now in
            upstreamWorker.submit {
                $0.pipedKeyframeRequest(conferenceId: conferenceId, streamId: streamId, trackIndex: trackIndex, force: force, now: now)
            }
        }
        workers[target].submit { h in
            if let e = h.addPipeProducer(conferenceId: conferenceId, streamId: streamId, tracks: tracks,
                                         upstream: upstream, now: monotonicNow()) {
                Log.warn("pipe of \(streamId) to worker \(target): \(e)")
            }
        }
        workers[target].watch(wakeFD: ring.wakeFD)
        workers[source].submit { h in
            if let e = h.addPipe(conferenceId: conferenceId, streamId: streamId, ring: ring) {
                Log.warn("pipe of \(streamId) from worker \(source): \(e)")
            }
        }
    }

    // MARK: - MediaController

    public func validateOffer(_ sdp: String) throws(HTTPError) { try OfferCheck.validate(sdp) }

    func parseOffer(_ text: String) throws(HTTPError) -> SessionDescription {
        do { return try SessionDescription.parse(text) } catch { throw HTTPError(400, "INVALID_SDP", "SDP offer rejected: \(error.description)") }
    }

    /// Our credentials, fingerprint and host candidates on worker `w`: every announced address
    /// on its UDP port, then (ICE-TCP) on its TCP port.
    func localTransport(_ creds: IceCredentials, worker w: MediaWorker<WorkerRouter>) -> LocalTransport {
        let fp = certificate.fingerprint
        var candidates = announced.map { HostCandidate(address: $0, port: w.port) }
        if let tcp = w.tcpPort { candidates += announced.map { HostCandidate(address: $0, port: tcp, transport: .tcpPassive) } }
        return LocalTransport(iceUfrag: creds.ufrag, icePwd: creds.password,
                              fingerprint: Fingerprint(hashFunction: fp.algorithm.rawValue, bytes: fp.bytes),
                              candidates: candidates)
    }

    /// The offer's ICE ufrag and DTLS fingerprints (of its first accepted m-line; BUNDLE shares them).
    func remoteTransport(_ offer: SessionDescription, _ answer: Answer) throws(HTTPError) -> (String?, [DTLSFingerprint]) {
        guard let first = answer.media.first(where: \.accepted) else { throw HTTPError(400, "INVALID_SDP", "no media section could be accepted") }
        let t = offer.transport(forMediaAt: first.index)
        let fps = t.fingerprints.compactMap { f -> DTLSFingerprint? in
            guard let alg = DTLSFingerprint.Algorithm(rawValue: f.hashFunction.lowercased()) else { return nil }
            return DTLSFingerprint(algorithm: alg, bytes: f.bytes)
        }
        if fps.isEmpty { throw HTTPError(400, "INVALID_SDP", "the offer has no usable DTLS fingerprint") }
        return (t.iceUfrag, fps)
    }

    public func publish(conferenceId: String, endpointId: String, streamId: String, offer: String, videoBitrate: Int64?) async throws(HTTPError) -> String {
        var sdp = try parseOffer(offer)
        // Simulcast layers are not selected per viewer yet: declining
        // `a=simulcast`/`a=rid` makes the browser send a single encoding
        // (RFC 8853 §5.3) instead of three streams on one payload type.
        for i in sdp.media.indices {
            sdp.media[i].attributes.removeAll { $0.name == "simulcast" || $0.name == "rid" }
        }
        let creds = IceCredentials.random()
        let isNew = withPlacement { $0.publisherWorker(conference: conferenceId, stream: streamId) == nil }
        let w = workers[withPlacement { $0.placePublisher(conference: conferenceId, stream: streamId) }]
        var builder = AnswerBuilder(transport: localTransport(creds, worker: w), policy: RouterMedia.policy)
        if let videoBitrate, videoBitrate > 0 { builder.maxVideoBitrate = UInt64(videoBitrate) }
        let answer: Answer
        do { answer = try builder.publishAnswer(to: sdp) } catch { throw HTTPError(400, "INVALID_SDP", "cannot answer the offer: \(error.description)") }
        let (ufrag, fps) = try remoteTransport(sdp, answer)
        let tracks = answer.media.filter { $0.accepted && ($0.kind == .audio || $0.kind == .video) }.map { ($0.kind, $0.codecs, $0.headerExtensions) }
        if tracks.isEmpty { throw HTTPError(400, "INVALID_SDP", "the offer sends no audio or video we can receive") }
        var spec = PublisherSpec(conferenceId: conferenceId, endpointId: endpointId, streamId: streamId, localICE: creds,
                                 remoteUfrag: ufrag, remoteFingerprints: fps, tracks: tracks)
        if let videoBitrate, videoBitrate > 0 { spec.maxBitrate = UInt64(videoBitrate) }
        let publisher = spec
        let error = await w.call { $0.addPublisher(publisher, now: monotonicNow()) }
        if let error {
            if isNew { _ = withPlacement { $0.removePublisher(conference: conferenceId, stream: streamId) } }
            throw HTTPError(409, "STREAM_EXISTS", error)
        }
        await tapIfRecorded(conferenceId: conferenceId, streamId: streamId, worker: w)
        return answer.sdp
    }

    public func view(conferenceId: String, endpointId: String, streamId: String, viewerId: String, offer: String) async throws(HTTPError) -> String {
        let sdp = try parseOffer(offer)
        guard let source = withPlacement({ $0.publisherWorker(conference: conferenceId, stream: streamId) }),
              let published = await workers[source].call({ $0.publishedTracks(conferenceId: conferenceId, streamId: streamId) }) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' has no media on this server")
        }
        guard let place = withPlacement({ p -> WorkerPlacement.ViewerPlacement? in
            let place = p.placeViewer(conference: conferenceId, stream: streamId, viewer: viewerId)
            // Under the lock, so that a concurrent viewer's addViewer is queued after the pipe producer.
            if let place, place.newPipe {
                startPipe(conferenceId: conferenceId, streamId: streamId, tracks: published, from: place.source, to: place.worker)
            }
            return place
        }) else {
            throw HTTPError(404, "STREAM_NOT_FOUND", "stream '\(streamId)' has no media on this server")
        }
        let w = workers[place.worker]
        let creds = IceCredentials.random()
        let builder = AnswerBuilder(transport: localTransport(creds, worker: w), policy: RouterMedia.policy)
        var outgoing: [OutgoingTrack] = []
        for (i, t) in published.tracks.enumerated() {
            let hasRTX = t.kind == .video && t.codecs.contains { $0.rtxPayloadType != nil }
            outgoing.append(OutgoingTrack(kind: t.kind, codecs: t.codecs, ssrc: UInt32.random(in: 1...UInt32.max),
                                          rtxSSRC: hasRTX ? UInt32.random(in: 1...UInt32.max) : nil,
                                          cname: "sfu-\(streamId)", streamID: streamId, trackID: "\(streamId)-\(i)"))
        }
        let answer: Answer
        do { answer = try builder.viewAnswer(to: sdp, tracks: outgoing) } catch { throw HTTPError(400, "INVALID_SDP", "cannot answer the offer: \(error.description)") }
        let (ufrag, fps) = try remoteTransport(sdp, answer)
        var consumers: [ConsumerSpec] = []
        for m in answer.media where m.accepted {
            guard let ti = m.trackIndex, ti < published.tracks.count else { continue }
            let pubExt = published.tracks[ti].extensions
            var extMap: [(UInt8, UInt8)] = []
            for e in m.headerExtensions where RouterMedia.forwardedExtensions.contains(e.uri) {
                if let p = pubExt.first(where: { $0.uri == e.uri }), p.id < 15, e.id < 15 { extMap.append((UInt8(p.id), UInt8(e.id))) }
            }
            var spec = ConsumerSpec(trackIndex: ti, ssrc: outgoing[ti].ssrc,
                                    payloadTypes: m.codecMap.map { ($0.publisher.payloadType, $0.viewerPayloadType) },
                                    extensions: extMap)
            let rtx = m.codecMap.compactMap { map in map.viewerRTXPayloadType.map { (map.publisher.payloadType, $0) } }
            if !rtx.isEmpty, let rtxSSRC = outgoing[ti].rtxSSRC {
                spec.rtxSSRC = rtxSSRC
                spec.rtxPayloadTypes = rtx
            }
            consumers.append(spec)
        }
        let spec = ViewerSpec(conferenceId: conferenceId, endpointId: endpointId, streamId: streamId, viewerId: viewerId,
                              localICE: creds, remoteUfrag: ufrag, remoteFingerprints: fps, consumers: consumers)
        let error = await w.call { $0.addViewer(spec, now: monotonicNow()) }
        if let error {
            _ = withPlacement { $0.removeViewer(conference: conferenceId, stream: streamId, viewer: viewerId) }
            throw HTTPError(404, "STREAM_NOT_FOUND", error)
        }
        return answer.sdp
    }

    /// ICE-lite learns the path from the client's binding requests; trickled
    /// candidates are kept by the conference service but need no action here.
    public func addCandidates(conferenceId: String, streamId: String, viewerId: String?, candidates: [JSON]) async {}

    public func unpublish(conferenceId: String, streamId: String) async {
        guard let removed = withPlacement({ $0.removePublisher(conference: conferenceId, stream: streamId) }) else { return }
        // The publisher's worker and every worker it was piped to: each removes its producer and that producer's viewers.
        for i in [removed.worker] + removed.pipedTo {
            workers[i].submit { $0.removePublisher(conferenceId: conferenceId, streamId: streamId) }
        }
    }

    public func stopView(conferenceId: String, streamId: String, viewerId: String) async {
        guard let i = withPlacement({ $0.removeViewer(conference: conferenceId, stream: streamId, viewer: viewerId) }) else { return }
        workers[i].submit { $0.removeViewer(conferenceId: conferenceId, streamId: streamId, viewerId: viewerId) }
    }

    /// Caps the publisher's video with REMB (`updatePublishedStreamBitrate`); 0 restores the default cap.
    public func setBitrate(conferenceId: String, streamId: String, bitsPerSecond: Int64) async {
        let bps = bitsPerSecond > 0 ? UInt64(bitsPerSecond) : PublisherSpec.defaultMaxBitrate
        guard let i = withPlacement({ $0.publisherWorker(conference: conferenceId, stream: streamId) }) else { return }
        workers[i].submit { $0.setMaxBitrate(conferenceId: conferenceId, streamId: streamId, bitsPerSecond: bps) }
    }

    public func endConference(_ conferenceId: String) async {
        for i in withPlacement({ $0.removeConference(conferenceId) }) {
            workers[i].submit { $0.removeConference(conferenceId) }
        }
    }

    /// Per-worker counters for `/metrics`.
    public func stats() async -> [RouterStats] {
        var out: [RouterStats] = []
        for w in workers { out.append(await w.call { $0.currentStats() }) }
        return out
    }
}

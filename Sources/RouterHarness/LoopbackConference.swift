import CAllocCounter
import DTLS
import Glibc
import Handoff
import ICE
import RTPRouter
import SDP

/// A `WorkerRouter` driven in-process with one publisher (VP8 video with RTX,
/// Opus audio) and N viewers, all connected through real ICE, DTLS and SRTP
/// with our client-role stack (`LoopbackPeer`). It exists so that tests and
/// `router-bench` measure the real forwarding path — the same `received` and
/// `tick` calls the worker makes — without a worker thread or a browser:
/// the calling thread plays the worker.
///
/// With `pipedViewers` > 0 a second router (`downstream`, another worker in
/// the server) serves the last viewers through a pipe producer fed by a
/// `PipeRing` from the first; the calling thread plays both workers (the
/// downstream drains the ring after each upstream call).
///
/// Router calls can be bracketed by `CAllocCounter` (`countAllocations`): then
/// `routerAllocations` counts the heap allocations made inside them, and
/// `routerLibsrtpCalls()` the libsrtp2 calls that include.
public final class LoopbackConference {
    public let router: WorkerRouter
    public let outbox: Outbox
    public let routerSocket: UDPSocket
    public let routerAddress: UDPAddress
    public let publisher: LoopbackPeer
    public let viewers: [LoopbackPeer]
    /// The second worker's router, its outbox and socket (nil without piped viewers).
    public let downstream: WorkerRouter?
    public let downstreamOutbox: Outbox?
    let downstreamSocket: UDPSocket?
    public let ring: PipeRing?
    /// Viewers `firstPipedViewer...` are on `downstream`.
    public let firstPipedViewer: Int
    public let conferenceId = "bench"
    public let streamId = "cam"

    /// Payload types and extension ids on the publisher's side and the viewers'.
    public static let videoPT: UInt8 = 96, videoRTXPT: UInt8 = 97, audioPT: UInt8 = 111
    public static let viewerVideoPT: UInt8 = 100, viewerRTXPT: UInt8 = 101
    public static let absSendTimeID: UInt8 = 3, viewerAbsSendTimeID: UInt8 = 2
    public let videoSSRC: UInt32 = 0x1111_0001, rtxSSRC: UInt32 = 0x1111_0002, audioSSRC: UInt32 = 0x1111_0003

    public var countAllocations = false
    /// When set, the calling thread's CPU time inside router calls is summed in `routerCPUNanoseconds`.
    public var measureCPU = false
    public private(set) var routerCPUNanoseconds: UInt64 = 0
    public private(set) var routerAllocations: UInt64 = 0
    /// Virtual monotonic time handed to the router (ns); starts at the real clock.
    public private(set) var now: UInt64
    private var nextTick: UInt64
    /// Scratch buffers: one for packets to the router, one for what peers receive.
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    let inbound = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)

    /// Per viewer: RTP packets received and verified, the last video sequence
    /// number seen (viewer space), RTCP packets received, verification failures.
    public internal(set) var viewerRTP: [Int]
    public internal(set) var viewerRTX: [Int]
    public internal(set) var viewerRTCP: [Int]
    public internal(set) var viewerLastVideoSeq: [UInt16]
    public internal(set) var viewerFailures = 0
    /// RTCP packets the publisher received (receiver reports, NACK, PLI, REMB).
    public internal(set) var publisherRTCP = 0
    /// Picture loss indications the publisher received.
    public internal(set) var publisherPLIs = 0

    /// `sourceAddress`: the router sees each peer's path with its local
    /// address, as a worker's packet-info socket reports it, so every send
    /// carries an IP_PKTINFO source (false: no local part, no control message).
    public init(viewers count: Int, pipedViewers: Int = 0, sourceAddress: Bool = true) throws {
        let serverContext = try DTLSContext(certificate: DTLSCertificate(commonName: "router"))
        let clientContext = try DTLSContext(certificate: DTLSCertificate(commonName: "peer"))
        router = WorkerRouter(dtlsContext: serverContext, events: { _ in })
        routerSocket = try UDPSocket(port: 0, ipv6: false)
        let routerAddress = UDPAddress(ip: "127.0.0.1", port: routerSocket.port)!
        self.routerAddress = routerAddress
        outbox = Outbox(sendingOn: routerSocket.fd)
        router.attach(outbox)
        let fp = serverContext.certificate.fingerprint
        publisher = try LoopbackPeer(index: 0, context: clientContext, routerFingerprint: fp, sourceAddress: sourceAddress,
                                     routerAddress: routerAddress)
        let total = max(1, count)
        let piped = min(max(0, pipedViewers), total)
        firstPipedViewer = total - piped
        var downstreamAddress = routerAddress
        if piped > 0 {
            let d = WorkerRouter(dtlsContext: serverContext, events: { _ in })
            let socket = try UDPSocket(port: 0, ipv6: false)
            downstreamAddress = UDPAddress(ip: "127.0.0.1", port: socket.port)!
            let out = Outbox(sendingOn: socket.fd)
            d.attach(out)
            downstream = d
            downstreamOutbox = out
            downstreamSocket = .some(consume socket)
            ring = PipeRing()
        } else {
            downstream = nil
            downstreamOutbox = nil
            downstreamSocket = nil
            ring = nil
        }
        let firstPiped = total - piped
        viewers = try (1...total).map {
            try LoopbackPeer(index: $0, context: clientContext, routerFingerprint: fp, sourceAddress: sourceAddress,
                             routerAddress: $0 - 1 >= firstPiped ? downstreamAddress : routerAddress)
        }
        viewerRTP = Array(repeating: 0, count: viewers.count)
        viewerRTX = viewerRTP
        viewerRTCP = viewerRTP
        viewerLastVideoSeq = Array(repeating: 0, count: viewers.count)
        now = monotonicNow()
        nextTick = now
        let clientFP = clientContext.certificate.fingerprint
        let video = [NegotiatedCodec(payloadType: Self.videoPT, name: "VP8", clockRate: 90000, rtxPayloadType: Self.videoRTXPT)]
        let audio = [NegotiatedCodec(payloadType: Self.audioPT, name: "opus", clockRate: 48000, channels: 2)]
        var spec = PublisherSpec(conferenceId: conferenceId, endpointId: "pub", streamId: streamId, localICE: publisher.remoteICE,
                                 remoteUfrag: publisher.localICE.ufrag, remoteFingerprints: [clientFP],
                                 tracks: [(.video, video, [ExtensionMap(id: UInt16(Self.absSendTimeID), uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")]),
                                          (.audio, audio, [])])
        spec.maxBitrate = 1_500_000
        if let e = router.addPublisher(spec, now: now) { throw HarnessError(description: e) }
        if let downstream, let ring, let tracks = router.publishedTracks(conferenceId: conferenceId, streamId: streamId) {
            // What RouterMedia does across workers; here both run on this thread.
            let upstreamRouter = router, conference = conferenceId, stream = streamId
            let upstream = PipeUpstream(ring: ring) { track, force, now in
                upstreamRouter.pipedKeyframeRequest(conferenceId: conference, streamId: stream, trackIndex: track, force: force, now: now)
            }
            if let e = downstream.addPipeProducer(conferenceId: conferenceId, streamId: streamId, tracks: tracks, upstream: upstream, now: now) {
                throw HarnessError(description: e)
            }
            if let e = router.addPipe(conferenceId: conferenceId, streamId: streamId, ring: ring) { throw HarnessError(description: e) }
        }
        for (i, v) in viewers.enumerated() {
            v.onDownstream = i >= firstPipedViewer && downstream != nil
            var videoConsumer = ConsumerSpec(trackIndex: 0, ssrc: 0x2000_0000 + UInt32(i), payloadTypes: [(Self.videoPT, Self.viewerVideoPT)],
                                             extensions: [(Self.absSendTimeID, Self.viewerAbsSendTimeID)])
            videoConsumer.rtxSSRC = 0x3000_0000 + UInt32(i)
            videoConsumer.rtxPayloadTypes = [(Self.videoPT, Self.viewerRTXPT)]
            let audioConsumer = ConsumerSpec(trackIndex: 1, ssrc: 0x4000_0000 + UInt32(i), payloadTypes: [(Self.audioPT, Self.audioPT)], extensions: [])
            let vs = ViewerSpec(conferenceId: conferenceId, endpointId: "v\(i)", streamId: streamId, viewerId: "v\(i)",
                                localICE: v.remoteICE, remoteUfrag: v.localICE.ufrag, remoteFingerprints: [clientFP],
                                consumers: [videoConsumer, audioConsumer])
            if let e = self.router(ofViewer: i).addViewer(vs, now: now) { throw HarnessError(description: e) }
        }
    }

    deinit {
        scratch.deallocate()
        inbound.deallocate()
    }

    public struct HarnessError: Error, CustomStringConvertible { public let description: String }

    var peers: [LoopbackPeer] { [publisher] + viewers }

    /// The router viewer `i` is connected to.
    public func router(ofViewer i: Int) -> WorkerRouter { i >= firstPipedViewer ? downstream ?? router : router }

    func route(_ peer: LoopbackPeer) -> (WorkerRouter, Outbox) {
        if let downstream, let downstreamOutbox, peer.onDownstream {
            return (downstream, downstreamOutbox)
        }
        return (router, outbox)
    }

    /// Runs ICE and DTLS for every peer in real time until all have SRTP keys.
    public func connect(timeoutSeconds: Double = 20) throws {
        var out: [[UInt8]] = []
        let t0 = monotonicNow()
        for p in peers { p.start(now: t0, toRouter: &out); deliver(&out, from: p, now: t0) }
        while !peers.allSatisfy(\.isConnected) {
            let t = monotonicNow()
            if t - t0 > UInt64(timeoutSeconds * 1e9) { throw HarnessError(description: "handshake timed out") }
            if let f = peers.compactMap(\.failure).first { throw HarnessError(description: f) }
            router.tick(out: outbox, now: t)
            outbox.flush()
            if let downstream, let downstreamOutbox {
                downstream.tick(out: downstreamOutbox, now: t)
                downstreamOutbox.flush()
            }
            for p in peers {
                p.tick(now: t, toRouter: &out)
                p.receive(into: inbound, capacity: 2048, now: t, media: { _, _ in }, toRouter: &out)
                deliver(&out, from: p, now: t)
            }
            usleep(200)
        }
        now = max(now, monotonicNow())
        nextTick = now
    }

    private func deliver(_ out: inout [[UInt8]], from p: LoopbackPeer, now t: UInt64) {
        let (r, o) = route(p)
        for d in out {
            d.withUnsafeBytes { scratch.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            r.received(scratch, length: d.count, from: p.address, out: o, now: t)
        }
        o.flush()
        out.removeAll(keepingCapacity: true)
    }

    // MARK: - Router calls (the measured part)

    /// Hands `length` bytes at `packet` from `peer` to the router and flushes its outbox.
    @inline(__always)
    public func routerReceive(_ packet: UnsafeMutableRawPointer, _ length: Int, from peer: LoopbackPeer) {
        let t0 = measureCPU ? threadCPUNow() : 0
        if countAllocations { alloc_counter_start() }
        if peer === publisher || downstream == nil {
            router.received(packet, length: length, from: peer.address, out: outbox, now: now)
            outbox.flush()
            router.endOfBatch()
            if let downstream, let downstreamOutbox {
                // The downstream worker wakes on the ring's eventfd and drains it.
                ring?.acknowledgeWake()
                downstream.pipesReadable(out: downstreamOutbox, now: now)
                downstreamOutbox.flush()
            }
        } else {
            let (r, o) = route(peer)
            r.received(packet, length: length, from: peer.address, out: o, now: now)
            o.flush()
            if r !== router { outbox.flush() } // keyframe requests sent upstream
        }
        if countAllocations { routerAllocations &+= alloc_counter_stop() }
        if measureCPU { routerCPUNanoseconds &+= threadCPUNow() &- t0 }
    }

    /// Advances the virtual clock by `ns` and runs the router's 10 ms timer when due.
    public func advance(_ ns: UInt64) {
        now &+= ns
        guard now >= nextTick else { return }
        nextTick = now &+ 10_000_000
        let t0 = measureCPU ? threadCPUNow() : 0
        if countAllocations { alloc_counter_start() }
        router.tick(out: outbox, now: now)
        outbox.flush()
        if let downstream, let downstreamOutbox {
            downstream.tick(out: downstreamOutbox, now: now)
            downstreamOutbox.flush()
        }
        if countAllocations { routerAllocations &+= alloc_counter_stop() }
        if measureCPU { routerCPUNanoseconds &+= threadCPUNow() &- t0 }
    }

    public func resetCounters() {
        routerAllocations = 0
        routerCPUNanoseconds = 0
    }

    /// libsrtp2 calls made by the router's sessions so far.
    public func routerLibsrtpCalls() -> UInt64 {
        router.libsrtpCallsForDiagnostics() &+ (downstream?.libsrtpCallsForDiagnostics() ?? 0)
    }
}

/// The calling thread's CPU time (user + system), in nanoseconds.
@inline(__always)
public func threadCPUNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

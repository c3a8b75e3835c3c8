import DTLS
import ICE
import RTP
import RTPRouter
import SDP

/// A `WorkerRouter` with an in-memory `Outbox` and virtual time, for tests
/// that assert exactly what leaves the router (`RouterTableTests`) and for
/// `FuzzRouter`. Peers are connected without a handshake
/// (`connectWithoutHandshake`: real SRTP with keys made here), so every
/// datagram takes the production path from `received` on.
public final class MemoryRouter {
    public let router: WorkerRouter
    public let outbox: Outbox
    /// Virtual monotonic time (ns) handed to every router call.
    public private(set) var now: UInt64 = 10_000_000_000
    /// Every datagram the router sent, in order, with its destination.
    public private(set) var sent: [(bytes: [UInt8], to: UDPAddress)] = []
    public let conferenceId = "conf"
    let context: DTLSContext
    var nextPort: UInt16 = 40_000

    public static let videoPT: UInt8 = 96, videoRTXPT: UInt8 = 97, audioPT: UInt8 = 111
    public static let viewerVideoPT: UInt8 = 100, viewerRTXPT: UInt8 = 101, viewerAudioPT: UInt8 = 109

    /// A setup step that did not work (a router command refused).
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// - Parameter context: the router's DTLS context (made once and shared
    ///   by callers that build many routers, e.g. the fuzzer).
    public init(context: DTLSContext? = nil) throws {
        self.context = try context ?? DTLSContext(certificate: DTLSCertificate(commonName: "memory-router"))
        router = WorkerRouter(dtlsContext: self.context, events: { _ in })
        let box = SentBox()
        outbox = Outbox(capacity: 32) { bytes, to in box.items.append((Array(bytes), to)) }
        self.box = box
        router.attach(outbox)
    }

    final class SentBox { var items: [(bytes: [UInt8], to: UDPAddress)] = [] }
    let box: SentBox

    /// Moves virtual time forward and runs the worker's timers (every 10 ms, as the worker does).
    public func advance(milliseconds ms: Int) {
        var left = ms
        while left > 0 {
            let step = min(left, 10)
            now += UInt64(step) * 1_000_000
            left -= step
            router.tick(out: outbox, now: now)
        }
        collect()
    }

    /// Hands a datagram to the router as the worker would.
    public func deliver(_ bytes: [UInt8], from: UDPAddress) {
        var copy = bytes
        copy.append(contentsOf: [UInt8](repeating: 0, count: max(0, 2048 - copy.count)))
        copy.withUnsafeMutableBytes { router.received($0.baseAddress!, length: bytes.count, from: from, out: outbox, now: now) }
        router.endOfBatch()
        collect()
    }

    /// Datagrams sent since the last call.
    public func takeSent() -> [(bytes: [UInt8], to: UDPAddress)] {
        collect()
        defer { sent.removeAll() }
        return sent
    }

    func collect() {
        outbox.flush()
        sent.append(contentsOf: box.items)
        box.items.removeAll()
    }

    func makePeer() throws -> MemoryPeer {
        let address = UDPAddress(ip: "127.0.0.1", port: nextPort)!
        nextPort += 1
        return try MemoryPeer(address: address)
    }

    /// The publisher's codecs: VP8 (with RTX) and Opus, abs-send-time on video.
    public static var publisherTracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])] {
        [(.video, [NegotiatedCodec(payloadType: videoPT, name: "VP8", clockRate: 90000, rtxPayloadType: videoRTXPT)],
          [ExtensionMap(id: 3, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")]),
         (.audio, [NegotiatedCodec(payloadType: audioPT, name: "opus", clockRate: 48000, channels: 2)], [])]
    }

    /// Publishes `streamId` and connects its transport.
    public func publish(_ streamId: String) throws -> MemoryPeer {
        let peer = try makePeer()
        let ice = IceCredentials.random()
        let spec = PublisherSpec(conferenceId: conferenceId, endpointId: "pub-\(streamId)", streamId: streamId, localICE: ice,
                                 remoteUfrag: nil, remoteFingerprints: [context.certificate.fingerprint], tracks: Self.publisherTracks)
        if let e = router.addPublisher(spec, now: now) { throw MemoryRouter.Failure(description: e) }
        guard router.connectWithoutHandshake(localUfrag: ice.ufrag, path: peer.address, keys: peer.routerKeys, out: outbox, now: now) else {
            throw MemoryRouter.Failure(description: "publisher transport did not connect")
        }
        collect()
        return peer
    }

    /// Adds a viewer of `streamId` (video SSRC `videoSSRC`, audio `videoSSRC + 1`,
    /// RTX `videoSSRC + 2` when `rtx`) and connects it.
    public func view(_ streamId: String, viewerId: String, videoSSRC: UInt32, rtx: Bool = true) throws -> MemoryPeer {
        let peer = try makePeer()
        let ice = IceCredentials.random()
        var video = ConsumerSpec(trackIndex: 0, ssrc: videoSSRC, payloadTypes: [(Self.videoPT, Self.viewerVideoPT)], extensions: [(3, 2)])
        if rtx {
            video.rtxSSRC = videoSSRC + 2
            video.rtxPayloadTypes = [(Self.videoPT, Self.viewerRTXPT)]
        }
        let audio = ConsumerSpec(trackIndex: 1, ssrc: videoSSRC + 1, payloadTypes: [(Self.audioPT, Self.viewerAudioPT)], extensions: [])
        let spec = ViewerSpec(conferenceId: conferenceId, endpointId: "ep-\(viewerId)", streamId: streamId, viewerId: viewerId,
                              localICE: ice, remoteUfrag: nil, remoteFingerprints: [context.certificate.fingerprint], consumers: [video, audio])
        if let e = router.addViewer(spec, now: now) { throw MemoryRouter.Failure(description: e) }
        guard router.connectWithoutHandshake(localUfrag: ice.ufrag, path: peer.address, keys: peer.routerKeys, out: outbox, now: now) else {
            throw MemoryRouter.Failure(description: "viewer transport did not connect")
        }
        collect()
        return peer
    }
}

/// One remote peer of a `MemoryRouter`: its address and both SRTP
/// directions, keyed to match the router's side of the same (virtual) DTLS
/// association.
public final class MemoryPeer {
    public let address: UDPAddress
    /// What the router's transport gets in place of a DTLS handshake.
    public let routerKeys: SRTPKeys
    let outbound: SRTPSession
    let inbound: SRTPSession

    init(address: UDPAddress) throws {
        self.address = address
        let material = (0..<SRTPProfile.aeadAES128GCM.keyingMaterialLength).map { _ in UInt8.random(in: 0...255) }
        routerKeys = SRTPKeys(profile: .aeadAES128GCM, keyingMaterial: material, isClient: false)!
        let mine = SRTPKeys(profile: .aeadAES128GCM, keyingMaterial: material, isClient: true)!
        outbound = try SRTPSession(outbound: mine)
        inbound = try SRTPSession(inbound: mine)
    }

    /// `packet` (plain RTP) protected for the router.
    public func protectRTP(_ packet: [UInt8]) throws -> [UInt8] {
        try protect(packet, rtcp: false)
    }

    /// `packet` (plain RTCP) protected for the router.
    public func protectRTCP(_ packet: [UInt8]) throws -> [UInt8] {
        try protect(packet, rtcp: true)
    }

    func protect(_ packet: [UInt8], rtcp: Bool) throws -> [UInt8] {
        var buf = packet + [UInt8](repeating: 0, count: 256)
        let n = try buf.withUnsafeMutableBytes { b throws(SRTPError) in
            rtcp ? try outbound.protectRTCP(b.baseAddress!, length: packet.count, capacity: b.count)
                 : try outbound.protectRTP(b.baseAddress!, length: packet.count, capacity: b.count)
        }
        return Array(buf[0..<n])
    }

    /// A datagram the router sent to this peer, unprotected: RTP or RTCP
    /// bytes, nil when it does not authenticate.
    public func unprotect(_ datagram: [UInt8]) -> [UInt8]? {
        var buf = datagram
        let isRTCP = datagram.count >= 2 && (192...223).contains(datagram[1])
        let n: Int? = buf.withUnsafeMutableBytes { b in
            isRTCP ? try? inbound.unprotectRTCP(b.baseAddress!, length: b.count) : try? inbound.unprotectRTP(b.baseAddress!, length: b.count)
        }
        return n.map { Array(buf[0..<$0]) }
    }
}

/// Plain RTP packets for table tests and fuzzers.
public enum RTPBuilder {
    /// An RTP packet (RFC 3550 §5.1), optionally with a one-byte-form
    /// extension block holding `extensions` (id, data) and `padding` bytes.
    public static func packet(payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, marker: Bool = false,
                              extensions: [(UInt8, [UInt8])] = [], payload: [UInt8], padding: Int = 0) -> [UInt8] {
        var b: [UInt8] = [0x80 | (extensions.isEmpty ? 0 : 0x10) | (padding > 0 ? 0x20 : 0), (marker ? 0x80 : 0) | payloadType]
        b += [UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xff)]
        b += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        b += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        if !extensions.isEmpty {
            var block: [UInt8] = []
            for (id, data) in extensions { block.append(id << 4 | UInt8(data.count - 1)); block += data }
            while block.count % 4 != 0 { block.append(0) }
            b += [0xbe, 0xde, UInt8((block.count / 4) >> 8), UInt8((block.count / 4) & 0xff)] + block
        }
        b += payload
        if padding > 0 { b += [UInt8](repeating: 0, count: padding - 1) + [UInt8(padding)] }
        return b
    }

    /// The first packet of a VP8 key frame (RFC 7741: S=1, PID=0, P=0).
    public static let vp8Keyframe: [UInt8] = [0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0x00]
    /// A VP8 delta frame packet (P=1).
    public static let vp8Delta: [UInt8] = [0x10, 0x01, 0x00, 0x00, 0x11, 0x22]
}

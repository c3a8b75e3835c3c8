import CAllocCounter
import DTLS
import Handoff
import RTP
import XCTest
@testable import RTPRouter
import RouterTestSupport

/// What leaves the router for named scenarios, asserted datagram by datagram:
/// a `MemoryRouter` (in-memory outbox, virtual time, transports connected
/// without a handshake but with real SRTP) in place of sockets and browsers.
final class RouterTableTests: XCTestCase {
    var m: MemoryRouter!
    var publisher: MemoryPeer!
    let videoSSRC: UInt32 = 0xA0A0_0001, audioSSRC: UInt32 = 0xA0A0_0003, publisherRTXSSRC: UInt32 = 0xA0A0_0002
    var seq: UInt16 = 1000
    var ts: UInt32 = 90_000

    override func setUpWithError() throws {
        m = try MemoryRouter()
        publisher = try m.publish("cam")
    }

    // MARK: - Helpers

    /// What `peer` received since the last call: RTP views' fields and RTCP packets, decrypted.
    struct Received {
        var rtp: [(pt: UInt8, seq: UInt16, ts: UInt32, ssrc: UInt32, payload: [UInt8], bytes: [UInt8])] = []
        var rtcp: [[UInt8]] = []
        var undecryptable = 0
        var plis: [(sender: UInt32, media: UInt32)] = []
        var byes: [[UInt32]] = []
        var senderReports: [(ssrc: UInt32, ntp: NTPTimestamp, rtp: UInt32, packets: UInt32)] = []
        var nacks: [[UInt16]] = []
    }

    /// What `peers` received since the last call. Datagrams to the first
    /// peer whose (cleartext) RTP sequence number is in `losing` are lost
    /// on the way: not decrypted, so their NACKed resends are not replays.
    func received(_ peers: MemoryPeer..., losing: Set<UInt16> = []) -> [Received] {
        let sent = m.takeSent()
        return peers.enumerated().map { index, peer in
            var r = Received()
            for d in sent where d.to == peer.address {
                if index == 0, d.bytes.count >= 12, !(192...223).contains(d.bytes[1]), losing.contains(UInt16(d.bytes[2]) << 8 | UInt16(d.bytes[3])) {
                    continue
                }
                guard var bytes = peer.unprotect(d.bytes) else { r.undecryptable += 1; continue }
                let isRTCP = bytes.withUnsafeBytes { RTPPacketView.looksLikeRTCP($0.baseAddress!, length: $0.count) }
                if isRTCP {
                    r.rtcp.append(bytes)
                    bytes.withUnsafeBytes { raw in
                        var reader = RTCPCompoundReader(raw)
                        while let packet = try? reader.next() {
                            switch packet {
                            case .pictureLossIndication(let pli): r.plis.append((pli.senderSSRC, pli.mediaSSRC))
                            case .goodbye(let bye): r.byes.append((0..<bye.ssrcCount).map { bye.ssrc(at: $0) })
                            case .senderReport(let sr): r.senderReports.append((sr.ssrc, sr.ntp, sr.rtpTimestamp, sr.packetCount))
                            case .genericNACK(let nack): r.nacks.append(GenericNACK(nack).lostSequenceNumbers)
                            default: break
                            }
                        }
                    }
                } else {
                    bytes.withUnsafeMutableBytes { raw in
                        guard let v = try? RTPPacketView(validating: raw.baseAddress!, length: raw.count) else { return }
                        r.rtp.append((v.payloadType, v.sequenceNumber, v.timestamp, v.ssrc, Array(UnsafeRawBufferPointer(v.payload)), Array(raw)))
                    }
                }
            }
            return r
        }
    }

    /// The publisher sends one video packet (keyframe or delta) with an abs-send-time extension.
    func sendVideo(keyframe: Bool, ssrc: UInt32? = nil, seq explicitSeq: UInt16? = nil, padding: Bool = false) throws {
        let s = explicitSeq ?? seq
        if explicitSeq == nil { seq &+= 1 }
        ts &+= 3000
        let payload = padding ? [] : (keyframe ? RTPBuilder.vp8Keyframe : RTPBuilder.vp8Delta)
        let packet = RTPBuilder.packet(payloadType: MemoryRouter.videoPT, sequenceNumber: s, timestamp: ts, ssrc: ssrc ?? videoSSRC,
                                       extensions: [(3, [1, 2, 3])], payload: payload, padding: padding ? 200 : 0)
        m.deliver(try publisher.protectRTP(packet), from: publisher.address)
    }

    func sendRTCP(_ peer: MemoryPeer, to router: MemoryRouter? = nil, _ write: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        var buf = [UInt8](repeating: 0, count: 1500)
        let n = try buf.withUnsafeMutableBytes { try write($0) }
        (router ?? m).deliver(try peer.protectRTCP(Array(buf[0..<n])), from: peer.address)
    }

    func pli(from viewer: MemoryPeer, media: UInt32) throws {
        try sendRTCP(viewer) { try PictureLossIndication(senderSSRC: 77, mediaSSRC: media).serialize(into: $0) }
    }

    // MARK: - Keyframe gating

    func testVideoWaitsForAKeyframeThenFlowsRewrittenAndContinuous() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001)
        _ = received(viewer)
        try sendVideo(keyframe: false)
        try sendVideo(keyframe: false)
        var (v, p) = { let r = received(viewer, publisher); return (r[0], r[1]) }()
        XCTAssertEqual(v.rtp.count, 0, "delta frames before the first keyframe are held back")
        XCTAssertEqual(m.router.stats.dropped(.awaitingKeyframe), 2)
        XCTAssertEqual(p.plis.map(\.media), [videoSSRC], "the first held-back delta asks for a keyframe at once (the track had no SSRC to ask for at connect); the second does not")

        try sendVideo(keyframe: true)
        try sendVideo(keyframe: false)
        try sendVideo(keyframe: false)
        (v, p) = { let r = received(viewer, publisher); return (r[0], r[1]) }()
        XCTAssertEqual(v.undecryptable, 0)
        XCTAssertEqual(v.rtp.count, 3)
        XCTAssertEqual(v.rtp.map(\.pt), [MemoryRouter.viewerVideoPT, MemoryRouter.viewerVideoPT, MemoryRouter.viewerVideoPT])
        XCTAssertEqual(v.rtp.map(\.ssrc), [0xB000_0001, 0xB000_0001, 0xB000_0001])
        XCTAssertEqual(v.rtp[1].seq, v.rtp[0].seq &+ 1)
        XCTAssertEqual(v.rtp[2].seq, v.rtp[0].seq &+ 2)
        XCTAssertEqual(v.rtp[1].ts &- v.rtp[0].ts, 3000, "timestamps keep the publisher's spacing")
        XCTAssertEqual(v.rtp[0].payload, RTPBuilder.vp8Keyframe)
        // abs-send-time moved from the publisher's id 3 to the viewer's id 2 (one-byte form: id << 4 | len-1).
        XCTAssertEqual(v.rtp[0].bytes[16], 2 << 4 | 2)
    }

    func testAWaitingViewerAsksAgainOncePerSecond() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001)
        try sendVideo(keyframe: false) // the track learns its SSRC
        _ = received(viewer, publisher)
        m.advance(milliseconds: 1100)
        _ = received(publisher)
        try sendVideo(keyframe: false)
        XCTAssertEqual(received(publisher)[0].plis.map(\.media), [videoSSRC])
        try sendVideo(keyframe: false)
        XCTAssertEqual(received(publisher)[0].plis.count, 0, "not again within a second")
    }

    // MARK: - SSRC change

    func testANewSSRCIsIgnoredWhileTheCurrentLivesThenTakesOverAtAKeyframe() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001)
        try sendVideo(keyframe: true)
        try sendVideo(keyframe: false)
        let before = received(viewer)[0].rtp
        XCTAssertEqual(before.count, 2)

        try sendVideo(keyframe: true, ssrc: 0xC0C0_0001, seq: 5)
        XCTAssertEqual(received(viewer)[0].rtp.count, 0, "a second source on the track is ignored while the first is alive")
        XCTAssertEqual(m.router.stats.dropped(.competingSource), 1)

        m.advance(milliseconds: 1500)
        _ = received(viewer, publisher)
        try sendVideo(keyframe: false, ssrc: 0xC0C0_0001, seq: 6)
        var (v, p) = { let r = received(viewer, publisher); return (r[0], r[1]) }()
        XCTAssertEqual(v.rtp.count, 0, "after the takeover the viewer waits for the new source's keyframe")
        XCTAssertEqual(p.plis.map(\.media), [0xC0C0_0001], "and the router asks the new source for one")
        try sendVideo(keyframe: true, ssrc: 0xC0C0_0001, seq: 7)
        try sendVideo(keyframe: false, ssrc: 0xC0C0_0001, seq: 8)
        (v, p) = { let r = received(viewer, publisher); return (r[0], r[1]) }()
        XCTAssertEqual(v.rtp.map(\.seq), [before[1].seq &+ 1, before[1].seq &+ 2], "one continuous sequence across sources")
        XCTAssertEqual(v.rtp.map(\.ssrc), [0xB000_0001, 0xB000_0001])
        let gap = v.rtp[0].ts &- before[1].ts
        XCTAssertTrue((90_000 * 14 / 10...90_000 * 17 / 10).contains(gap), "timestamps advance by the silence (1.5 s ≈ 135000 ticks): \(gap)")
    }

    // MARK: - PLI throttling and de-duplication

    func testViewersPLIsBecomeOnePLIPer300msPerTrack() throws {
        let a = try m.view("cam", viewerId: "a", videoSSRC: 0xB000_0001)
        let b = try m.view("cam", viewerId: "b", videoSSRC: 0xB100_0001)
        try sendVideo(keyframe: true)
        m.advance(milliseconds: 400)
        _ = received(publisher)
        try pli(from: a, media: 0xB000_0001)
        try pli(from: b, media: 0xB100_0001)
        XCTAssertEqual(received(publisher)[0].plis.map(\.media), [videoSSRC], "two viewers' PLIs, one PLI upstream")
        m.advance(milliseconds: 200)
        try pli(from: a, media: 0xB000_0001)
        XCTAssertEqual(received(publisher)[0].plis.count, 0, "within 300 ms of the last: swallowed")
        m.advance(milliseconds: 150)
        try pli(from: b, media: 0xB100_0001)
        XCTAssertEqual(received(publisher)[0].plis.count, 1)
        try sendRTCP(a) { try FullIntraRequest.serialize(senderSSRC: 77, target: 0xB000_0001, sequenceNumber: 1, into: $0) }
        XCTAssertEqual(received(publisher)[0].plis.count, 0, "FIR shares the same throttle")
    }

    func testANewViewerForcesAKeyframeRequestOnlyFiftyMillisecondsApart() throws {
        try sendVideo(keyframe: true)
        _ = received(publisher)
        _ = try m.view("cam", viewerId: "a", videoSSRC: 0xB000_0001)
        XCTAssertEqual(received(publisher)[0].plis.count, 1)
        _ = try m.view("cam", viewerId: "b", videoSSRC: 0xB100_0001)
        XCTAssertEqual(received(publisher)[0].plis.count, 0, "a second viewer joining at once shares the request")
        m.advance(milliseconds: 60)
        _ = received(publisher)
        _ = try m.view("cam", viewerId: "c", videoSSRC: 0xB200_0001)
        XCTAssertEqual(received(publisher)[0].plis.count, 1)
    }

    // MARK: - NACK: cache, RTX

    /// Forwards a keyframe and four deltas; the viewer loses the ones at `lost` (indices). Returns all five viewer sequence numbers.
    func forwardFive(to viewer: MemoryPeer, losing lost: [Int] = []) throws -> [UInt16] {
        try sendVideo(keyframe: true)
        let first = m.takeSent().first { $0.to == viewer.address }!
        let base = UInt16(first.bytes[2]) << 8 | UInt16(first.bytes[3])
        XCTAssertNotNil(viewer.unprotect(first.bytes))
        for _ in 0..<4 { try sendVideo(keyframe: false) }
        let seqs = (0..<5).map { base &+ UInt16($0) }
        XCTAssertEqual(received(viewer, losing: Set(lost.map { seqs[$0] }))[0].rtp.count, 4 - lost.count)
        return seqs
    }

    func nack(from viewer: MemoryPeer, media: UInt32, lost: [UInt16]) throws {
        try sendRTCP(viewer) { try GenericNACK(senderSSRC: 77, mediaSSRC: media, lost: lost).serialize(into: $0) }
    }

    func testNACKIsAnsweredAsRTXWithTheViewersSequenceNumberAsOSN() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001, rtx: true)
        let seqs = try forwardFive(to: viewer, losing: [1, 3])
        try nack(from: viewer, media: 0xB000_0001, lost: [seqs[1], seqs[3]])
        let v = received(viewer)[0]
        XCTAssertEqual(v.rtp.count, 2)
        XCTAssertEqual(v.rtp.map(\.ssrc), [0xB000_0003, 0xB000_0003], "the viewer's RTX SSRC")
        XCTAssertEqual(v.rtp.map(\.pt), [MemoryRouter.viewerRTXPT, MemoryRouter.viewerRTXPT])
        XCTAssertEqual(v.rtp[1].seq, v.rtp[0].seq &+ 1, "RTX has its own sequence")
        XCTAssertEqual(v.rtp.map { UInt16($0.payload[0]) << 8 | UInt16($0.payload[1]) }, [seqs[1], seqs[3]], "OSN in the viewer's space")
        XCTAssertEqual(Array(v.rtp[0].payload.dropFirst(2)), RTPBuilder.vp8Delta)
        XCTAssertEqual(m.router.stats.nackResent, 2)
    }

    func testNACKWithoutRTXResendsTheSamePacketAndCountsMisses() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001, rtx: false)
        let seqs = try forwardFive(to: viewer, losing: [2])
        try nack(from: viewer, media: 0xB000_0001, lost: [seqs[2], seqs[4] &+ 10])
        let v = received(viewer)[0]
        XCTAssertEqual(v.rtp.map(\.seq), [seqs[2]])
        XCTAssertEqual(v.rtp.map(\.ssrc), [0xB000_0001])
        XCTAssertEqual(v.rtp.map(\.pt), [MemoryRouter.viewerVideoPT])
        XCTAssertEqual(m.router.stats.nackResent, 1)
        XCTAssertEqual(m.router.stats.nackMissed, 1, "a number never sent to the viewer")
    }

    func testPaddingOnlyPacketsAreLeftOutWithoutASequenceHoleAndNACKsStillFindTheirPacket() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001, rtx: false)
        try sendVideo(keyframe: true)
        let v = received(viewer)[0]
        try sendVideo(keyframe: false, padding: true)
        try sendVideo(keyframe: false, padding: true)
        try sendVideo(keyframe: false)
        let after = m.takeSent().filter { $0.to == viewer.address }
        XCTAssertEqual(v.rtp.count, 1)
        XCTAssertEqual(after.count, 1, "only the media packet; lost on the way (not decrypted)")
        XCTAssertEqual(UInt16(after[0].bytes[2]) << 8 | UInt16(after[0].bytes[3]), v.rtp[0].seq &+ 1, "no hole where the probes were")
        XCTAssertEqual(m.router.stats.dropped(.paddingOnly), 2)
        try nack(from: viewer, media: 0xB000_0001, lost: [v.rtp[0].seq &+ 1])
        let again = received(viewer)[0]
        XCTAssertEqual(again.rtp.map(\.seq), [v.rtp[0].seq &+ 1])
        XCTAssertEqual(again.rtp.first?.payload, RTPBuilder.vp8Delta, "the packet after the probes, not a probe")
    }

    // MARK: - Sender reports

    func testSenderReportsAreTranslatedIntoTheViewersTimestampSpace() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001)
        try sendVideo(keyframe: true)
        let first = received(viewer)[0].rtp[0]
        let ntp = NTPTimestamp(seconds: 3_900_000_000, fraction: 0)
        try sendRTCP(publisher) {
            try SenderReport.serialize(ssrc: videoSSRC, ntp: ntp, rtpTimestamp: ts, packetCount: 1, octetCount: 10, report: nil, into: $0)
        }
        m.advance(milliseconds: 600)
        let srs = received(viewer)[0].senderReports
        XCTAssertEqual(srs.map(\.ssrc), [0xB000_0001, 0xB000_0001], "at the first tick and 500 ms later, for the consumer that has sent (audio has not)")
        guard let sr = srs.last else { return }
        let elapsed = sr.ntp.microseconds(since: ntp)
        XCTAssertTrue((500_000...600_000).contains(elapsed), "NTP carried forward by the time since the publisher's SR: \(elapsed) µs")
        // The publisher's RTP time `ts` is the viewer's `first.ts`; 1 µs = 0.09 ticks.
        let expected = first.ts &+ UInt32(elapsed * 9 / 100)
        XCTAssertLessThanOrEqual(abs(Int32(bitPattern: sr.rtp &- expected)), 2)
        XCTAssertEqual(sr.packets, 1)
    }

    // MARK: - Unpublish

    func testUnpublishSendsBYEForEveryConsumerAndRemovesTheViewers() throws {
        let viewer = try m.view("cam", viewerId: "v1", videoSSRC: 0xB000_0001)
        _ = received(viewer)
        m.router.removePublisher(conferenceId: m.conferenceId, streamId: "cam")
        let v = received(viewer)[0]
        XCTAssertEqual(v.byes, [[0xB000_0001, 0xB000_0002]], "one BYE naming both consumer SSRCs")
        XCTAssertEqual(m.router.currentStats().transports, 0)
        try sendVideo(keyframe: true)
        XCTAssertEqual(m.router.stats.dropped(.unknownMediaSender), 1, "the publisher's address is forgotten")
    }

    // MARK: - Pipes

    func testAPipeCarriesPacketsAndSenderReportsDownstreamAndKeyframeRequestsBack() throws {
        let downstream = try MemoryRouter()
        let ring = PipeRing()
        XCTAssertNil(m.router.addPipe(conferenceId: m.conferenceId, streamId: "cam", ring: ring))
        let tracks = try XCTUnwrap(m.router.publishedTracks(conferenceId: m.conferenceId, streamId: "cam"))
        final class Requests: @unchecked Sendable { var items: [(Int, Bool)] = [] }
        let requests = Requests()
        let upstream = PipeUpstream(ring: ring) { track, force, _ in requests.items.append((track, force)) }
        XCTAssertNil(downstream.router.addPipeProducer(conferenceId: downstream.conferenceId, streamId: "cam", tracks: tracks,
                                                       upstream: upstream, now: downstream.now))
        let viewer = try downstream.view("cam", viewerId: "far", videoSSRC: 0xD000_0001)
        XCTAssertEqual(requests.items.map(\.0), [0], "the downstream viewer's start-up keyframe request goes upstream")
        XCTAssertEqual(requests.items.map(\.1), [true])

        try sendVideo(keyframe: true)
        try sendVideo(keyframe: false)
        XCTAssertEqual(ring.pushed, 2)
        downstream.router.pipesReadable(out: downstream.outbox, now: downstream.now)
        let sent = downstream.takeSent().filter { $0.to == viewer.address }.compactMap { viewer.unprotect($0.bytes) }
        XCTAssertEqual(sent.count, 2)
        XCTAssertEqual(downstream.router.stats.pipedIn, 2)
        XCTAssertEqual(downstream.router.stats.rtpOut, 2)

        downstream.advance(milliseconds: 400)
        try sendRTCP(viewer, to: downstream) { try PictureLossIndication(senderSSRC: 9, mediaSSRC: 0xD000_0001).serialize(into: $0) }
        XCTAssertEqual(requests.items.map(\.1), [true, false], "the downstream viewer's PLI goes upstream")
        // Upstream, the request becomes a PLI to the publisher (shared throttle: 300 ms after the forced one).
        m.advance(milliseconds: 400)
        _ = received(publisher)
        m.router.pipedKeyframeRequest(conferenceId: m.conferenceId, streamId: "cam", trackIndex: 0, force: false, now: m.now)
        XCTAssertEqual(received(publisher)[0].plis.map(\.media), [videoSSRC])
    }

    // MARK: - Drops by reason

    func testEveryDropHasAReasonAndCountingAllocatesNothing() throws {
        let stranger = UDPAddress(ip: "127.0.0.9", port: 9)!
        m.deliver([0x40, 1, 2, 3], from: stranger)
        m.deliver([0x80, 96] + [UInt8](repeating: 0, count: 30), from: stranger)
        m.deliver([0x16, 0xfe, 0xfd], from: stranger)
        m.deliver([0x00, 0x01, 0x00, 0x00], from: stranger)
        var forged = try publisher.protectRTP(RTPBuilder.packet(payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: videoSSRC, payload: [1]))
        forged[forged.count - 1] ^= 1
        m.deliver(forged, from: publisher.address)
        m.deliver(try publisher.protectRTP(RTPBuilder.packet(payloadType: 55, sequenceNumber: 2, timestamp: 1, ssrc: videoSSRC, payload: [1])),
                  from: publisher.address)
        let s = m.router.stats
        XCTAssertEqual(s.dropped(.unknownProtocol), 1)
        XCTAssertEqual(s.dropped(.unknownMediaSender), 1)
        XCTAssertEqual(s.dropped(.unknownDTLSSender), 1)
        XCTAssertEqual(s.dropped(.unknownSTUNSender), 1)
        XCTAssertEqual(s.dropped(.srtpRejected), 1)
        XCTAssertEqual(s.dropped(.unknownPayloadType), 1)
        XCTAssertEqual(s.dropped, 6)
        XCTAssertEqual(m.takeSent().count, 0, "nothing answers junk")

        let junk = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        defer { junk.deallocate() }
        junk.initializeMemory(as: UInt8.self, repeating: 0x40, count: 64)
        alloc_counter_start()
        for _ in 0..<100 { m.router.received(junk, length: 64, from: stranger, out: m.outbox, now: m.now) }
        XCTAssertEqual(alloc_counter_stop(), 0)
        XCTAssertEqual(m.router.stats.dropped(.unknownProtocol), 101)
    }
}

import DTLS
import Handoff
import ICE
import SDP
import XCTest
@testable import RTPRouter

/// The recorder's commands on a WorkerRouter (no network): which streams a
/// conference has, attaching at most one tap per producer, and every way a
/// producer goes closing its tap.
final class RouterTapsTests: XCTestCase {
    static let context = try! DTLSContext(certificate: try! DTLSCertificate(commonName: "router-taps"))

    func router() -> WorkerRouter { WorkerRouter(dtlsContext: Self.context) { _ in } }

    func publish(_ r: WorkerRouter, conference: String = "c", stream: String, endpoint: String = "e", video: Bool = true) {
        var tracks: [(kind: MediaKind, codecs: [NegotiatedCodec], extensions: [ExtensionMap])] = [
            (.audio, [NegotiatedCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2)], []),
        ]
        if video {
            tracks.append((.video, [NegotiatedCodec(payloadType: 96, name: "VP8", clockRate: 90000, rtxPayloadType: 97),
                                    NegotiatedCodec(payloadType: 98, name: "VP9", clockRate: 90000)], []))
        }
        let spec = PublisherSpec(conferenceId: conference, endpointId: endpoint, streamId: stream, localICE: .random(),
                                 remoteUfrag: "remote", remoteFingerprints: [Self.context.certificate.fingerprint], tracks: tracks)
        XCTAssertNil(r.addPublisher(spec, now: 1))
    }

    func testAttachReportsTracksOncePerProducer() {
        let r = router()
        publish(r, stream: "cam")
        publish(r, stream: "mic", video: false)
        publish(r, conference: "other", stream: "x")
        XCTAssertEqual(r.publishedStreams(conferenceId: "c").map(\.streamId), ["cam", "mic"])
        let tap = RecorderTap(slotCount: 4)
        XCTAssertNil(r.attachTap(tap, conferenceId: "c", streamId: "nope"))
        let s = try! XCTUnwrap(r.attachTap(tap, conferenceId: "c", streamId: "cam"))
        XCTAssertEqual(s.endpointId, "e")
        XCTAssertEqual(s.tracks, [RecordedTrack(kind: .audio, codec: "opus", clockRate: 48000, channels: 2),
                                  RecordedTrack(kind: .video, codec: "VP8", clockRate: 90000, channels: 1)])
        // An ICE restart re-runs addPublisher: the producer and its tap stay, a second tap is refused.
        publish(r, stream: "cam")
        XCTAssertNil(r.attachTap(RecorderTap(slotCount: 4), conferenceId: "c", streamId: "cam"))
        XCTAssertFalse(tap.isClosed)
        // Detaching someone else's tap leaves ours in place (but closes theirs).
        let stranger = RecorderTap(slotCount: 4)
        r.detachTap(stranger, conferenceId: "c", streamId: "cam")
        XCTAssertTrue(stranger.isClosed)
        XCTAssertFalse(tap.isClosed)
        XCTAssertNil(r.attachTap(RecorderTap(slotCount: 4), conferenceId: "c", streamId: "cam"))
        r.detachTap(tap, conferenceId: "c", streamId: "cam")
        XCTAssertTrue(tap.isClosed)
        XCTAssertNotNil(r.attachTap(RecorderTap(slotCount: 4), conferenceId: "c", streamId: "cam"), "detached: a new tap may attach")
    }

    func testEveryWayAProducerGoesClosesItsTap() {
        let r = router()
        for s in ["a", "b", "c"] { publish(r, stream: s) }
        publish(r, conference: "other", stream: "d")
        let taps = ["a", "b", "c"].map { s -> RecorderTap in
            let t = RecorderTap(slotCount: 4)
            XCTAssertNotNil(r.attachTap(t, conferenceId: "c", streamId: s))
            return t
        }
        let otherTap = RecorderTap(slotCount: 4)
        XCTAssertNotNil(r.attachTap(otherTap, conferenceId: "other", streamId: "d"))
        r.removePublisher(conferenceId: "c", streamId: "a")
        XCTAssertEqual(taps.map(\.isClosed), [true, false, false])
        r.detachTaps(conferenceId: "c") // the recording stops
        XCTAssertEqual(taps.map(\.isClosed), [true, true, true])
        XCTAssertFalse(otherTap.isClosed)
        r.removeConference("other")
        XCTAssertTrue(otherTap.isClosed)
    }

    /// A pipe producer (the publisher lives on another worker) is not tapped here:
    /// the recording taps the real publisher once, on its own worker.
    func testPipeProducersAreNotTapped() {
        let upstream = router()
        publish(upstream, stream: "cam")
        let downstream = router()
        let tracks = upstream.publishedTracks(conferenceId: "c", streamId: "cam")!
        let pipe = PipeUpstream(ring: PipeRing()) { _, _, _ in }
        XCTAssertNil(downstream.addPipeProducer(conferenceId: "c", streamId: "cam", tracks: tracks, upstream: pipe, now: 1))
        XCTAssertEqual(downstream.publishedStreams(conferenceId: "c").count, 0)
        XCTAssertNil(downstream.attachTap(RecorderTap(slotCount: 4), conferenceId: "c", streamId: "cam"))
        XCTAssertNotNil(upstream.attachTap(RecorderTap(slotCount: 4), conferenceId: "c", streamId: "cam"))
    }
}

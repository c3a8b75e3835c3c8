import Foundation
import HTTP
import JSON
import SDP
import XCTest
@testable import Signaling

/// The pure parts of the WHIP/WHEP faces: which paths are theirs, the stream
/// type an offer publishes, and the trickle fragments (RFC 8840) going in
/// and out of an ICE restart.
final class WHIPTests: XCTestCase {
    static let offer: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SDPTests/Fixtures/chromium156-sendrecv.sdp")
        return try! String(contentsOf: url, encoding: .utf8)
    }()

    func testFaceOfAPath() {
        XCTAssertEqual(WHIPFace(path: "/whip/demo"), .whip)
        XCTAssertEqual(WHIPFace(path: "/whep/demo/s1"), .whep)
        XCTAssertEqual(WHIPFace(path: "/whep"), .whep)
        XCTAssertNil(WHIPFace(path: "/whipped/demo"))
        XCTAssertNil(WHIPFace(path: "/rtc-api/conferences/whip"))
    }

    func testStreamTypeFollowsWhatTheOfferSends() {
        XCTAssertEqual(APIHandler.streamType(Self.offer), .micAndCam)
        let audioOnly = Self.offer.components(separatedBy: "m=video")[0]
        XCTAssertEqual(APIHandler.streamType(audioOnly), .mic)
        XCTAssertEqual(APIHandler.streamType("not sdp"), .micAndCam)
    }

    func testRestartOfferCarriesTheNewCredentialsAndNoOldCandidates() throws {
        let restarted = try TrickleFragment.restartOffer(Self.offer, ufrag: "NewU", pwd: "newpasswordnewpassword12")
        let sdp = try SessionDescription.parse(restarted)
        for i in sdp.media.indices {
            let t = sdp.transport(forMediaAt: i)
            XCTAssertEqual(t.iceUfrag, "NewU")
            XCTAssertEqual(t.icePwd, "newpasswordnewpassword12")
            XCTAssertTrue(sdp.media[i].candidates.isEmpty)
        }
        XCTAssertFalse(restarted.contains(TrickleFragment.ufrag(ofOffer: Self.offer)!))
        XCTAssertNoThrow(try OfferCheck.validate(restarted))
    }

    func testCandidatesOfAFragmentFindTheirMLineThroughTheOffer() throws {
        let sdp = try SessionDescription.parse(Self.offer)
        let secondMid = try XCTUnwrap(sdp.media[1].mid)
        let frag = try TrickleFragment.parse(Array("a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:\(secondMid)\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\n".utf8))
        let c = try TrickleFragment.candidates(frag, offer: Self.offer)
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c[0]["candidate"]?.stringValue, "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host")
        XCTAssertEqual(c[0]["sdpMid"]?.stringValue, secondMid)
        XCTAssertEqual(c[0]["sdpMLineIndex"]?.intValue, 1)
    }

    func testFragmentErrorsAreSpecific400s() {
        for body in ["v=0\r\n", "m=audio x UDP/TLS/RTP/SAVPF 0\r\n"] {
            XCTAssertThrowsError(try TrickleFragment.parse(Array(body.utf8))) { e in
                XCTAssertEqual((e as? HTTPError)?.status, 400)
                XCTAssertEqual((e as? HTTPError)?.code, "INVALID_FRAGMENT")
            }
        }
        XCTAssertThrowsError(try TrickleFragment.parse([0xFF, 0xFE]))
        let many = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" + String(repeating: "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n", count: 65)
        XCTAssertThrowsError(try TrickleFragment.candidates(try TrickleFragment.parse(Array(many.utf8)), offer: Self.offer))
    }

    func testAnswerFragmentOfAnAnswer() throws {
        let answer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=ice-lite\r\n"
            + "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=ice-ufrag:SrvU\r\na=ice-pwd:serverpasswordserverpass\r\n"
            + "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\na=rtpmap:111 opus/48000/2\r\n"
            + "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n"
        let f = TrickleFragment.answerFragment(answer)
        XCTAssertEqual(f, "a=ice-lite\r\na=ice-ufrag:SrvU\r\na=ice-pwd:serverpasswordserverpass\r\n"
                       + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n")
        XCTAssertEqual(try SessionDescription.parseFragment(f).iceUfrag, "SrvU")
    }
}

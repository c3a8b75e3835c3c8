import XCTest
@testable import SDP

/// RFC 8840 §9 fragments (`application/trickle-ice-sdpfrag`), parsed by the document parser in fragment mode.
final class FragmentTests: XCTestCase {
    let trickle = "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
        + "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n"
        + "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2\r\n"
        + "a=end-of-candidates\r\n"

    func testRFC9725TrickleExampleParsesAndRoundTrips() throws {
        let f = try SessionDescription.parseFragment(trickle)
        XCTAssertEqual(f.iceUfrag, "EsAw")
        XCTAssertEqual(f.icePwd, "P2uYro0UCOQ4zxjKXaWCBui1")
        XCTAssertEqual(f.media.count, 1)
        XCTAssertEqual(f.media[0].mid, "0")
        XCTAssertEqual(f.media[0].candidates.map(\.port), [61764, 61765])
        XCTAssertTrue(f.media[0].endOfCandidates)
        XCTAssertEqual(f.serialize(), trickle)
    }

    func testCredentialsAtMediaLevelAreFound() throws {
        let f = try SessionDescription.parseFragment("m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:1\na=ice-ufrag:abcd\na=ice-pwd:0123456789012345678901\n")
        XCTAssertEqual(f.iceUfrag, "abcd")
        XCTAssertEqual(f.icePwd, "0123456789012345678901")
    }

    func testSessionLinesAreRefusedWithTheirLine() {
        for (text, line, type) in [("a=ice-ufrag:x\r\nv=0\r\n", 2, "v"), ("o=- 1 1 IN IP4 0.0.0.0\r\n", 1, "o"), ("a=mid:0\r\nt=0 0\r\n", 2, "t")] {
            XCTAssertThrowsError(try SessionDescription.parseFragment(text)) { e in
                XCTAssertEqual(e as? SDPError, .misplacedLine(line: line, type: type), text)
            }
        }
    }

    func testMalformedCandidateAndMediaLineAreRefused() {
        XCTAssertThrowsError(try SessionDescription.parseFragment("m=audio 9 UDP/TLS/RTP/SAVPF 111\na=candidate:1 1 udp\n"))
        XCTAssertThrowsError(try SessionDescription.parseFragment("m=audio nine UDP/TLS/RTP/SAVPF 111\n"))
        XCTAssertThrowsError(try SessionDescription.parseFragment("garbage\n"))
        XCTAssertThrowsError(try SessionDescription.parseFragment(String(repeating: "a=x\n", count: SDPLimits.maxBytes)))
    }

    func testEmptyFragmentIsEmpty() throws {
        XCTAssertEqual(try SessionDescription.parseFragment(""), SDPFragment())
    }
}

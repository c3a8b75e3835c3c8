import SDP
import XCTest

/// The answer's ICE-TCP candidates (RFC 6544): `tcptype passive` host
/// candidates after every UDP one, with lower priorities, and the UDP one as
/// the default (`m=`/`c=`) candidate.
final class ICETCPCandidateTests: XCTestCase {
    func testTCPPassiveCandidatesFollowTheUDPOnesWithLowerPriority() throws {
        // Listed TCP first on purpose: the answer reorders.
        let transport = LocalTransport(
            iceUfrag: "sfu1", icePwd: "abcdefghijklmnopqrstuvwx",
            fingerprint: Fingerprint(hashFunction: "sha-256", bytes: Array(0..<32)),
            candidates: [HostCandidate(address: "198.51.100.7", port: 40001, transport: .tcpPassive),
                         HostCandidate(address: "198.51.100.7", port: 40000),
                         HostCandidate(address: "2001:db8::7", port: 40000),
                         HostCandidate(address: "2001:db8::7", port: 40001, transport: .tcpPassive)])
        let offer = try Fixtures.parse("chromium156-sendrecv.sdp")
        let answer = try AnswerBuilder(transport: transport, sessionID: 42).publishAnswer(to: offer)
        let audio = answer.session.media[0]
        let candidates = try audio.attributes.filter { $0.name == "candidate" }.map { try Candidate(attributeValue: $0.value ?? "") }
        XCTAssertEqual(candidates.map(\.transportProtocol), [.udp, .udp, .tcp, .tcp])
        XCTAssertEqual(candidates.map(\.port), [40000, 40000, 40001, 40001])
        XCTAssertEqual(candidates.map(\.tcpType), [nil, nil, .passive, .passive])
        XCTAssertEqual(candidates.map(\.address), ["198.51.100.7", "2001:db8::7", "198.51.100.7", "2001:db8::7"])
        // Strictly decreasing: every UDP pair is tried before any TCP one.
        XCTAssertEqual(candidates.map(\.priority), candidates.map(\.priority).sorted(by: >))
        XCTAssertEqual(Set(candidates.map(\.priority)).count, 4)
        // RFC 6544 §4.2: local preference = 2^13 · direction preference (passive 4) + other preference.
        let local = (candidates[2].priority >> 8) & 0xFFFF
        XCTAssertEqual(local >> 13, 4)
        XCTAssertEqual(candidates[2].priority >> 24, 90)
        // The default candidate is the first UDP one.
        XCTAssertEqual(audio.port, 40000)
        let text = answer.sdp
        XCTAssertTrue(text.contains("a=candidate:3 1 tcp \(candidates[2].priority) 198.51.100.7 40001 typ host tcptype passive\r\n"), text)
        XCTAssertTrue(text.contains("c=IN IP4 198.51.100.7\r\n"), text)
    }
}

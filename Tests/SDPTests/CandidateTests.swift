import XCTest
@testable import SDP

/// RFC 8839 §5.1 candidate lines, as the browsers write them.
final class CandidateTests: XCTestCase {
    func testChromiumUDPHost() throws {
        let c = try Candidate.parse(trickled: "candidate:1363622479 1 udp 2122260223 127.0.0.1 58544 typ host generation 0 network-id 1 network-cost 50")
        XCTAssertEqual(c.foundation, "1363622479")
        XCTAssertEqual(c.component, 1)
        XCTAssertEqual(c.transportProtocol, .udp)
        XCTAssertEqual(c.priority, 2122260223)
        XCTAssertEqual(c.address, "127.0.0.1")
        XCTAssertEqual(c.port, 58544)
        XCTAssertEqual(c.type, .host)
        XCTAssertEqual(c.generation, 0)
        XCTAssertEqual(c.extensions, [.init(name: "network-id", value: "1"), .init(name: "network-cost", value: "50")])
        XCTAssertEqual(c.attributeValue, "1363622479 1 udp 2122260223 127.0.0.1 58544 typ host generation 0 network-id 1 network-cost 50")
    }

    func testFirefoxUpperCaseTransport() throws {
        let c = try Candidate(attributeValue: "2 1 TCP 2105458943 127.0.0.1 9 typ host tcptype active")
        XCTAssertEqual(c.transport, "TCP")
        XCTAssertEqual(c.transportProtocol, .tcp)
        XCTAssertEqual(c.tcpType, .active)
        XCTAssertEqual(try Candidate(attributeValue: "0 1 Udp 1 ::1 5 typ host").transportProtocol, .udp)
    }

    func testRelayWithRelatedAddress() throws {
        let c = try Candidate.parse(trickled: "a=candidate:3 1 udp 41885439 203.0.113.5 3478 typ relay raddr 192.0.2.1 rport 5000 ufrag abcd")
        XCTAssertEqual(c.type, .relay)
        XCTAssertEqual(c.relatedAddress, "192.0.2.1")
        XCTAssertEqual(c.relatedPort, 5000)
        XCTAssertEqual(c.extensions, [.init(name: "ufrag", value: "abcd")])
    }

    func testHostPriority() {
        // RFC 8445 §5.1.2.1 with type preference 126, local preference 65535, component 1.
        XCTAssertEqual(Candidate.priority(typePreference: 126, localPreference: 65535, component: 1), 2130706431)
    }

    func testRejectsDuplicateRaddr() {
        XCTAssertThrowsSDPError(try Candidate(attributeValue: "1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 raddr 2.2.2.2"),
                                .malformedAttribute(line: 0, name: "candidate", reason: "'raddr' appears twice"))
    }
}

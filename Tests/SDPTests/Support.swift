import Foundation
import XCTest
@testable import SDP

/// Fixture files, read relative to this source file (no bundle resources needed).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Every `.sdp` captured from a real implementation (plus the hand-written Safari one),
    /// excluding fuzzer regression files.
    static var offerNames: [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasSuffix(".sdp") && !$0.hasPrefix("regress-") }.sorted()
    }

    /// Fuzzer reproducers kept as regression inputs.
    static var regressionNames: [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasPrefix("regress-") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    static func parse(_ name: String) throws -> SessionDescription {
        try SessionDescription.parse(bytes: try bytes(name))
    }
}

/// Our side of the transport in every answer test.
let testTransport = LocalTransport(
    iceUfrag: "sfu1", icePwd: "abcdefghijklmnopqrstuvwx",
    fingerprint: Fingerprint(hashFunction: "sha-256", bytes: Array(0..<32)),
    candidates: [HostCandidate(address: "127.0.0.1", port: 10000), HostCandidate(address: "::1", port: 10000)])

let testBuilder = AnswerBuilder(transport: testTransport, sessionID: 42)

/// 32 bytes of sha-256 fingerprint text.
let sha256Text = (0..<32).map { String(format: "%02X", $0) }.joined(separator: ":")

/// A small valid offer; tests break one line of it at a time.
let minimalOffer = """
v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
m=audio 9 UDP/TLS/RTP/SAVPF 111 0
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 \(sha256Text)
a=setup:actpass
a=sendrecv
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1

"""

/// Applies `transform` to every attribute at session and media level (nil removes it).
func mutateAttributes(_ sdp: SessionDescription, _ transform: (Attribute) -> Attribute?) -> SessionDescription {
    var s = sdp
    s.attributes = s.attributes.compactMap(transform)
    for i in s.media.indices { s.media[i].attributes = s.media[i].attributes.compactMap(transform) }
    return s
}

func XCTAssertThrowsSDPError<T>(_ expression: @autoclosure () throws -> T, _ expected: SDPError,
                                _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected \(expected), got success. \(message)", file: file, line: line)
    } catch let error as SDPError {
        XCTAssertEqual(error, expected, message, file: file, line: line)
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
    }
}

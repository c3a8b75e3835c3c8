import XCTest
@testable import ICE

/// Replays the committed libFuzzer corpus (`fuzz/corpus/stun`) with the fuzz
/// target's properties, so every seed and every unit the fuzzer kept is also
/// checked by a plain `swift test` (and a future crash reproducer added there
/// becomes a regression test automatically).
final class FuzzCorpusReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus/stun")

    func testCorpusKeepsTheFuzzProperties() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
        XCTAssertGreaterThan(files.count, 3)
        let credentials = IceCredentials(ufrag: "fuzzUfrg", password: "fuzzPasswordfuzzPassword")
        let key = Array(credentials.password.utf8)
        var parsed = 0
        for name in files {
            let input = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(name)))
            var agent = IceLiteAgent(local: credentials, remoteUfrag: "rmte", now: .zero)
            _ = agent.handle(input, from: SocketAddress("192.0.2.1:5000")!, now: .seconds(1))
            guard let message = try? StunMessage.parse(input) else { continue }
            parsed += 1
            let out = message.serialized()
            do {
                let again = try StunMessage.parse(out)
                XCTAssertEqual(again, message, name)
            } catch StunParseError.badFingerprint {
                XCTAssertNotEqual(out, input, name)  // only a non-canonical input may lose its FINGERPRINT
            }
            var stripped = message
            stripped.attributes.removeAll { $0.type == StunAttribute.Kind.fingerprint }
            XCTAssertEqual(try StunMessage.parse(stripped.serialized()), stripped, name)
            let signed = stripped.serialized(integrityKey: key, fingerprint: true)
            XCTAssertTrue(StunIntegrity.verify(signed, key: key), name)
        }
        XCTAssertGreaterThan(parsed, 4)
    }

    /// The named seeds are the RFC 5769 vectors and the Chrome-like request, byte for byte.
    func testSeedsMatchTheTestVectors() throws {
        let seeds: [(String, [UInt8])] = [
            ("rfc5769-request", RFC5769.request), ("rfc5769-ipv4-response", RFC5769.ipv4Response),
            ("rfc5769-ipv6-response", RFC5769.ipv6Response), ("chrome-like-binding-request", Vectors.chromeLikeRequest),
        ]
        for (name, bytes) in seeds {
            XCTAssertEqual(Array(try Data(contentsOf: Self.corpus.appendingPathComponent(name))), bytes, name)
        }
    }
}

import XCTest
@testable import SDP

final class OfferValidationTests: XCTestCase {
    func parse(_ text: String) throws -> SessionDescription { try SessionDescription.parse(text) }

    func testFixturesValidate() throws {
        for name in Fixtures.offerNames {
            XCTAssertNoThrow(try validateOffer(try Fixtures.parse(name)), name)
        }
    }

    func testEachRuleHasItsOwnError() throws {
        let base = try parse(minimalOffer)
        XCTAssertNoThrow(try validateOffer(base))

        var s = base
        s.media = []
        XCTAssertThrowsSDPError(try validateOffer(s), .noMediaSections)

        s = mutateAttributes(base) { $0.name == "mid" ? nil : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .missingMid(mediaIndex: 0))

        s = base
        s.media.append(base.media[0])
        XCTAssertThrowsSDPError(try validateOffer(s), .duplicateMid(mid: "0"))

        s = base
        var second = base.media[0]
        second.attributes = second.attributes.map { $0.name == "mid" ? Attribute("mid", "1") : $0 }
        s.media.append(second)
        XCTAssertThrowsSDPError(try validateOffer(s), .notBundled(mid: "1"))

        s = mutateAttributes(base) { $0.name == "ice-pwd" ? nil : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .missingICECredentials(mid: "0"))
        s = mutateAttributes(base) { $0.name == "ice-ufrag" ? nil : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .missingICECredentials(mid: "0"))

        s = mutateAttributes(base) { $0.name == "ice-ufrag" ? Attribute("ice-ufrag", "abc") : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .invalidICECredentials(mid: "0", reason: "ice-ufrag must be 4 to 256 characters, not 3"))
        s = mutateAttributes(base) { $0.name == "ice-pwd" ? Attribute("ice-pwd", "short") : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .invalidICECredentials(mid: "0", reason: "ice-pwd must be 22 to 256 characters, not 5"))
        s = mutateAttributes(base) { $0.name == "ice-ufrag" ? Attribute("ice-ufrag", "ab-d") : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .invalidICECredentials(mid: "0", reason: "ice-ufrag has characters outside A-Z a-z 0-9 + /"))

        s = mutateAttributes(base) { $0.name == "fingerprint" ? nil : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .missingFingerprint(mid: "0"))
        s = mutateAttributes(base) { $0.name == "fingerprint" ? Attribute(Fingerprint(hashFunction: "sha-1", bytes: Array(repeating: 1, count: 20))) : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .unsupportedFingerprintHash(mid: "0", hashFunction: "sha-1"))
        s = mutateAttributes(base) { $0.name == "fingerprint" ? Attribute(Fingerprint(hashFunction: "SHA-256", bytes: [1, 2])) : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .invalidFingerprintLength(mid: "0", hashFunction: "SHA-256", bytes: 2))
        s = mutateAttributes(base) { $0.name == "fingerprint" ? Attribute(Fingerprint(hashFunction: "SHA-512", bytes: Array(repeating: 7, count: 64))) : $0 }
        XCTAssertNoThrow(try validateOffer(s), "hash names are case-insensitive")

        s = mutateAttributes(base) { $0.name == "setup" ? Attribute(SetupRole.passive) : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .setupPassive(mid: "0"))
        s = mutateAttributes(base) { $0.name == "setup" ? Attribute(SetupRole.holdconn) : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .setupHoldconn(mid: "0"))
        s = mutateAttributes(base) { $0.name == "setup" ? Attribute(SetupRole.active) : $0 }
        XCTAssertNoThrow(try validateOffer(s))
        s = mutateAttributes(base) { $0.name == "setup" ? nil : $0 }
        XCTAssertNoThrow(try validateOffer(s), "no a=setup means active (RFC 4145)")

        s = mutateAttributes(base) { $0.name == "rtcp-mux" ? nil : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .missingRtcpMux(mid: "0"))

        s = mutateAttributes(base) { $0.name == "rtpmap" ? Attribute(RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 1)) : $0 }
        XCTAssertThrowsSDPError(try validateOffer(s), .noSupportedCodec)
    }

    func testRejectedMediaLinesAreIgnored() throws {
        var s = try parse(minimalOffer)
        var dead = MediaDescription(kind: .video, port: 0, proto: "UDP/TLS/RTP/SAVPF", formats: ["96"])
        dead.attributes = [Attribute("rtpmap", "96 VP8/90000")]   // no mid, no ICE, no fingerprint: fine, it is rejected
        s.media.append(dead)
        XCTAssertNoThrow(try validateOffer(s))
        s.media[0].port = 0
        XCTAssertThrowsSDPError(try validateOffer(s), .noSupportedCodec)
    }

    func testVideoCodecRules() throws {
        func video(_ rtpmap: String, _ fmtp: String? = nil) throws -> SessionDescription {
            var text = minimalOffer.replacingOccurrences(of: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=video 9 UDP/TLS/RTP/SAVPF 111 0")
                .replacingOccurrences(of: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:111 \(rtpmap)")
            text = text.replacingOccurrences(of: "a=fmtp:111 minptime=10;useinbandfec=1", with: fmtp.map { "a=fmtp:111 \($0)" } ?? "")
            return try parse(text)
        }
        XCTAssertNoThrow(try validateOffer(try video("VP8/90000")))
        XCTAssertNoThrow(try validateOffer(try video("vp9/90000")))
        XCTAssertNoThrow(try validateOffer(try video("AV1/90000")))
        XCTAssertNoThrow(try validateOffer(try video("H264/90000", "profile-level-id=42e01f;packetization-mode=1")))
        XCTAssertThrowsSDPError(try validateOffer(try video("H264/90000", "profile-level-id=42e01f;packetization-mode=0")), .noSupportedCodec)
        XCTAssertThrowsSDPError(try validateOffer(try video("H264/90000")), .noSupportedCodec, "packetization-mode defaults to 0")
        XCTAssertThrowsSDPError(try validateOffer(try video("rtx/90000", "apt=0")), .noSupportedCodec)
        XCTAssertThrowsSDPError(try validateOffer(try video("red/90000")), .noSupportedCodec)
        XCTAssertThrowsSDPError(try validateOffer(try video("ulpfec/90000")), .noSupportedCodec)
        XCTAssertThrowsSDPError(try validateOffer(try video("opus/48000/2")), .noSupportedCodec, "opus in a video m-line")
        XCTAssertThrowsSDPError(try validateOffer(try video("H265/90000")), .noSupportedCodec)
    }

    /// Every fixture, mutated: each mutation triggers its own error.
    func testMutatedFixtures() throws {
        for name in Fixtures.offerNames {
            let sdp = try Fixtures.parse(name)
            let firstMid = try XCTUnwrap(sdp.media.first { !$0.isRejected }?.mid, name)

            let noFingerprint = mutateAttributes(sdp) { $0.name == "fingerprint" ? nil : $0 }
            XCTAssertThrowsSDPError(try validateOffer(noFingerprint), .missingFingerprint(mid: firstMid), name)

            let passive = mutateAttributes(sdp) { $0.name == "setup" ? Attribute(SetupRole.passive) : $0 }
            XCTAssertThrowsSDPError(try validateOffer(passive), .setupPassive(mid: firstMid), name)

            let unsupported = mutateAttributes(sdp) { a in
                guard a.name == "rtpmap", var map = try? RTPMap(attributeValue: a.value ?? "") else { return a }
                if ["opus", "vp8", "vp9", "h264", "av1"].contains(map.encodingName.lowercased()) { map.encodingName = "X-\(map.encodingName)" }
                return Attribute(map)
            }
            XCTAssertThrowsSDPError(try validateOffer(unsupported), .noSupportedCodec, name)

            let md5 = mutateAttributes(sdp) { $0.name == "fingerprint" ? Attribute(Fingerprint(hashFunction: "md5", bytes: Array(repeating: 0, count: 16))) : $0 }
            XCTAssertThrowsSDPError(try validateOffer(md5), .unsupportedFingerprintHash(mid: firstMid, hashFunction: "md5"), name)

            let noUfrag = mutateAttributes(sdp) { $0.name == "ice-ufrag" ? nil : $0 }
            XCTAssertThrowsSDPError(try validateOffer(noUfrag), .missingICECredentials(mid: firstMid), name)

            // The mutated documents still round-trip.
            for s in [noFingerprint, passive, unsupported, md5, noUfrag] {
                XCTAssertEqual(try SessionDescription.parse(s.serialize()), s, name)
            }
        }
    }
}

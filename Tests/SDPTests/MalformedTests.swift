import XCTest
@testable import SDP

/// Table tests: each malformed input must fail with its own specific error.
final class MalformedTests: XCTestCase {
    /// Replaces the first occurrence of `line` in the minimal offer (line numbers below
    /// refer to the minimal offer: v=1 o=2 s=3 t=4 group=5 m=6 c=7 mid=8 ufrag=9 pwd=10
    /// fingerprint=11 setup=12 sendrecv=13 rtcp-mux=14 rtpmap=15 fmtp=16).
    func offer(replacing line: String, with replacement: String) -> String {
        precondition(minimalOffer.contains(line + "\n"), line)
        return minimalOffer.replacingOccurrences(of: line + "\n", with: replacement.isEmpty ? "" : replacement + "\n")
    }

    func testMalformedInputs() {
        let cases: [(String, String, SDPError)] = [
            ("empty", "", .missingVersion),
            ("only blank lines", "\r\n\n", .missingVersion),
            ("no v=", offer(replacing: "v=0", with: ""), .missingVersion),
            ("v=1", offer(replacing: "v=0", with: "v=1"), .unsupportedVersion(line: 1, value: "1")),
            ("garbage first line", "hello\n" + minimalOffer, .missingVersion),
            ("second v=", offer(replacing: "s=-", with: "s=-\nv=0"), .misplacedLine(line: 4, type: "v")),
            ("no o=", offer(replacing: "o=- 1 2 IN IP4 127.0.0.1", with: ""), .missingOrigin),
            ("no s=", offer(replacing: "s=-", with: ""), .missingSessionName),
            ("no t=", offer(replacing: "t=0 0", with: ""), .missingTiming),
            ("o= too short", offer(replacing: "o=- 1 2 IN IP4 127.0.0.1", with: "o=- 1 2 IN IP4"), .malformedOrigin(line: 2)),
            ("o= non-numeric id", offer(replacing: "o=- 1 2 IN IP4 127.0.0.1", with: "o=- x 2 IN IP4 127.0.0.1"), .malformedOrigin(line: 2)),
            ("o= id overflows", offer(replacing: "o=- 1 2 IN IP4 127.0.0.1", with: "o=- 184467440737095516150 2 IN IP4 127.0.0.1"), .malformedOrigin(line: 2)),
            ("two o=", offer(replacing: "s=-", with: "o=- 1 2 IN IP4 127.0.0.1\ns=-"), .duplicateLine(line: 3, type: "o")),
            ("t= one field", offer(replacing: "t=0 0", with: "t=0"), .malformedTiming(line: 4)),
            ("r= before t=", offer(replacing: "s=-", with: "s=-\nr=1 2 3"), .misplacedLine(line: 4, type: "r")),
            ("t= in media", offer(replacing: "a=rtcp-mux", with: "t=0 0"), .misplacedLine(line: 14, type: "t")),
            ("no equals", offer(replacing: "a=rtcp-mux", with: "a rtcp-mux"), .malformedLine(line: 14)),
            ("upper-case type", offer(replacing: "a=rtcp-mux", with: "A=rtcp-mux"), .malformedLine(line: 14)),
            ("unknown type", offer(replacing: "a=rtcp-mux", with: "x=rtcp-mux"), .unknownLineType(line: 14, type: "x")),
            ("space before =", offer(replacing: "a=rtcp-mux", with: "a =rtcp-mux"), .malformedLine(line: 14)),
            ("NUL in line", offer(replacing: "a=rtcp-mux", with: "a=rtcp\u{0}-mux"), .invalidCharacter(line: 14)),
            ("bare CR", offer(replacing: "a=rtcp-mux", with: "a=rtcp-mux\ra=x"), .invalidCharacter(line: 14)),
            ("c= two fields", offer(replacing: "c=IN IP4 0.0.0.0", with: "c=IN IP4"), .malformedConnection(line: 7)),
            ("two c= in media", offer(replacing: "c=IN IP4 0.0.0.0", with: "c=IN IP4 0.0.0.0\nc=IN IP4 0.0.0.0"), .duplicateLine(line: 8, type: "c")),
            ("b= no colon", offer(replacing: "c=IN IP4 0.0.0.0", with: "c=IN IP4 0.0.0.0\nb=AS"), .malformedBandwidth(line: 8)),
            ("b= not a number", offer(replacing: "c=IN IP4 0.0.0.0", with: "c=IN IP4 0.0.0.0\nb=AS:fast"), .malformedBandwidth(line: 8)),
            ("m= too few fields", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 9 UDP/TLS/RTP/SAVPF"),
             .malformedMediaLine(line: 6, reason: "expected <media> <port> <proto> <format>...")),
            ("m= port not numeric", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio nine UDP/TLS/RTP/SAVPF 111 0"),
             .invalidPort(line: 6, value: "nine")),
            ("m= port too big", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 65536 UDP/TLS/RTP/SAVPF 111 0"),
             .invalidPort(line: 6, value: "65536")),
            ("m= negative port", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio -9 UDP/TLS/RTP/SAVPF 111 0"),
             .invalidPort(line: 6, value: "-9")),
            ("m= port count zero", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 9/0 UDP/TLS/RTP/SAVPF 111 0"),
             .invalidPort(line: 6, value: "9/0")),
            ("m= payload type not numeric", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 9 UDP/TLS/RTP/SAVPF opus 0"),
             .invalidPayloadType(line: 6, value: "opus")),
            ("m= payload type 128", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 9 UDP/TLS/RTP/SAVPF 128 0"),
             .invalidPayloadType(line: 6, value: "128")),
            ("m= payload type twice", offer(replacing: "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", with: "m=audio 9 UDP/TLS/RTP/SAVPF 111 111"),
             .malformedMediaLine(line: 6, reason: "payload type 111 listed twice")),
            ("rtpmap for unlisted payload type", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:112 opus/48000/2"),
             .rtpmapUnknownPayloadType(line: 15, payloadType: 112)),
            ("rtpmap payload type not numeric", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:x opus/48000/2"),
             .invalidPayloadType(line: 15, value: "x")),
            ("rtpmap without clock", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:111 opus"),
             .malformedAttribute(line: 15, name: "rtpmap", reason: "expected <encoding>/<clock rate>[/<channels>]")),
            ("rtpmap clock not numeric", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:111 opus/fast/2"),
             .malformedAttribute(line: 15, name: "rtpmap", reason: "clock rate is not a number")),
            ("rtpmap twice", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap:111 opus/48000/2\na=rtpmap:111 opus/48000/2"),
             .duplicatePayloadType(line: 16, payloadType: 111)),
            ("rtpmap without value", offer(replacing: "a=rtpmap:111 opus/48000/2", with: "a=rtpmap"),
             .malformedAttribute(line: 15, name: "rtpmap", reason: "missing value")),
            ("fmtp for unlisted payload type", offer(replacing: "a=fmtp:111 minptime=10;useinbandfec=1", with: "a=fmtp:96 apt=111"),
             .fmtpUnknownPayloadType(line: 16, payloadType: 96)),
            ("rtcp-fb bad payload type", offer(replacing: "a=rtcp-mux", with: "a=rtcp-fb:abc nack"), .invalidPayloadType(line: 14, value: "abc")),
            ("rtcp-fb without type", offer(replacing: "a=rtcp-mux", with: "a=rtcp-fb:111"),
             .malformedAttribute(line: 14, name: "rtcp-fb", reason: "missing feedback type")),
            ("extmap id 0", offer(replacing: "a=rtcp-mux", with: "a=extmap:0 urn:x"),
             .malformedAttribute(line: 14, name: "extmap", reason: "id must be a number from 1 to 4095")),
            ("extmap bad direction", offer(replacing: "a=rtcp-mux", with: "a=extmap:1/both urn:x"),
             .malformedAttribute(line: 14, name: "extmap", reason: "unknown direction 'both'")),
            ("extmap no uri", offer(replacing: "a=rtcp-mux", with: "a=extmap:1"),
             .malformedAttribute(line: 14, name: "extmap", reason: "missing extension URI")),
            ("ssrc too big", offer(replacing: "a=rtcp-mux", with: "a=ssrc:4294967296 cname:x"),
             .malformedAttribute(line: 14, name: "ssrc", reason: "SSRC is not a 32-bit number")),
            ("ssrc-group without ssrcs", offer(replacing: "a=rtcp-mux", with: "a=ssrc-group:FID"),
             .malformedAttribute(line: 14, name: "ssrc-group", reason: "expected <semantics> <ssrc>...")),
            ("msid three fields", offer(replacing: "a=rtcp-mux", with: "a=msid:a b c"),
             .malformedAttribute(line: 14, name: "msid", reason: "expected <stream id> [<track id>]")),
            ("rid bad direction", offer(replacing: "a=rtcp-mux", with: "a=rid:h sendrecv"),
             .malformedAttribute(line: 14, name: "rid", reason: "direction must be send or recv")),
            ("simulcast bad direction", offer(replacing: "a=rtcp-mux", with: "a=simulcast:both h;m"),
             .malformedAttribute(line: 14, name: "simulcast", reason: "direction must be send or recv, each at most once")),
            ("simulcast empty rid", offer(replacing: "a=rtcp-mux", with: "a=simulcast:send h;;m"),
             .malformedAttribute(line: 14, name: "simulcast", reason: "bad rid '' in simulcast list")),
            ("fingerprint not hex", offer(replacing: "a=fingerprint:sha-256 \(sha256Text)", with: "a=fingerprint:sha-256 ZZ:00"),
             .malformedAttribute(line: 11, name: "fingerprint", reason: "fingerprint must be colon-separated hex byte pairs")),
            ("fingerprint no bytes", offer(replacing: "a=fingerprint:sha-256 \(sha256Text)", with: "a=fingerprint:sha-256"),
             .malformedAttribute(line: 11, name: "fingerprint", reason: "expected <hash function> <hex bytes>")),
            ("setup unknown", offer(replacing: "a=setup:actpass", with: "a=setup:server"),
             .malformedAttribute(line: 12, name: "setup", reason: "role must be actpass, active, passive or holdconn")),
            ("setup twice", offer(replacing: "a=setup:actpass", with: "a=setup:actpass\na=setup:active"), .duplicateAttribute(line: 13, name: "setup")),
            ("mid twice", offer(replacing: "a=mid:0", with: "a=mid:0\na=mid:1"), .duplicateAttribute(line: 9, name: "mid")),
            ("mid empty", offer(replacing: "a=mid:0", with: "a=mid:"),
             .malformedAttribute(line: 8, name: "mid", reason: "value must be one non-empty word")),
            ("two directions", offer(replacing: "a=sendrecv", with: "a=sendrecv\na=recvonly"), .duplicateAttribute(line: 14, name: "recvonly")),
            ("attribute name not a token", offer(replacing: "a=rtcp-mux", with: "a=rtcp mux"),
             .malformedAttribute(line: 14, name: "rtcp mux", reason: "attribute name is not a token")),
            ("candidate too short", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 1 udp 1 127.0.0.1 9"),
             .malformedAttribute(line: 14, name: "candidate", reason: "expected <foundation> <component> <transport> <priority> <address> <port> typ <type>")),
            ("candidate bad port", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 1 udp 1 127.0.0.1 70000 typ host"),
             .malformedAttribute(line: 14, name: "candidate", reason: "port is not a number from 0 to 65535")),
            ("candidate without typ", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 1 udp 1 127.0.0.1 9 type host"),
             .malformedAttribute(line: 14, name: "candidate", reason: "expected 'typ <type>' after the port")),
            ("candidate odd extensions", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 1 udp 1 127.0.0.1 9 typ host generation"),
             .malformedAttribute(line: 14, name: "candidate", reason: "extension attributes must come in name/value pairs")),
            ("candidate bad tcptype", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype both"),
             .malformedAttribute(line: 14, name: "candidate", reason: "tcptype must be active, passive or so")),
            ("candidate component 0", offer(replacing: "a=rtcp-mux", with: "a=candidate:1 0 udp 1 127.0.0.1 9 typ host"),
             .malformedAttribute(line: 14, name: "candidate", reason: "component must be 1...256")),
        ]
        for (name, text, expected) in cases {
            XCTAssertThrowsSDPError(try SessionDescription.parse(text), expected, name)
        }
    }

    func testLimits() {
        let big = minimalOffer + String(repeating: "a=x-pad:" + String(repeating: "p", count: 1000) + "\n", count: 70)
        XCTAssertThrowsSDPError(try SessionDescription.parse(big), .tooLarge(bytes: big.utf8.count, limit: SDPLimits.maxBytes))
        XCTAssertThrowsSDPError(try SessionDescription.parse(bytes: Array(big.utf8)), .tooLarge(bytes: big.utf8.count, limit: SDPLimits.maxBytes))

        let manyLines = minimalOffer + String(repeating: "a=x\n", count: SDPLimits.maxLines)
        XCTAssertThrowsSDPError(try SessionDescription.parse(manyLines), .tooManyLines(limit: SDPLimits.maxLines))
        let blankLines = minimalOffer + String(repeating: "\n", count: SDPLimits.maxLines)
        XCTAssertThrowsSDPError(try SessionDescription.parse(blankLines), .tooManyLines(limit: SDPLimits.maxLines))

        let section = "m=audio 0 UDP/TLS/RTP/SAVPF 0\n"
        let atLimit = minimalOffer + String(repeating: section, count: SDPLimits.maxMediaSections - 1)
        XCTAssertEqual(try SessionDescription.parse(atLimit).media.count, SDPLimits.maxMediaSections)
        XCTAssertThrowsSDPError(try SessionDescription.parse(atLimit + section), .tooManyMediaSections(limit: SDPLimits.maxMediaSections))

        XCTAssertEqual(SDPLimits.maxBytes, 65536)
        XCTAssertEqual(SDPLimits.maxLines, 1000)
        XCTAssertEqual(SDPLimits.maxMediaSections, 64)
    }

    func testErrorDescriptionsNameTheLine() {
        XCTAssertEqual(SDPError.invalidPort(line: 7, value: "x").description, "line 7: port 'x' is not a number from 0 to 65535")
        XCTAssertTrue(SDPError.rtpmapUnknownPayloadType(line: 12, payloadType: 99).description.hasPrefix("line 12:"))
        XCTAssertTrue(SDPError.missingVersion.description.contains("v=0"))
    }

    /// Byte patterns that must be refused, not crash.
    func testHostileBytes() {
        let inputs: [[UInt8]] = [
            [], [0x76], [0x76, 0x3D], Array("v=0\r".utf8), Array("v=0\r\r\n".utf8), [0xC3, 0x28],
            Array("v=0\no=- 1 1 IN IP4 x\ns=\nt=0 0\nm=".utf8),
            Array("v=0\no=- 1 1 IN IP4 x\ns=\nt=0 0\nm=a 1 RTP/AVP 1\na=rtpmap:1 a/1/99999999".utf8),
            Array("v=0\no=- 1 1 IN IP4 x\ns=\nt=0 0\na=\u{301}:x".utf8),
        ]
        for input in inputs { _ = try? SessionDescription.parse(bytes: input) }
    }
}

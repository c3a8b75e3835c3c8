import XCTest
@testable import ICE

/// Table tests over annotated bytes: exact round trips, each malformation
/// with its specific error, and the message-type bit layout (RFC 8489 §5).
final class StunMessageTests: XCTestCase {
    let tid = Vectors.chromeTransactionID

    // MARK: Round trips: parse → serialize → same bytes

    struct RoundTrip {
        let name: String
        let bytes: [UInt8]
        let attributes: [StunAttribute]
        let type: StunMessageType
    }

    var roundTrips: [RoundTrip] {
        [
            RoundTrip(name: "bare binding request", bytes: [
                0x00, 0x01, 0x00, 0x00,  // type=0x0001 Binding Request, len=0
                0x21, 0x12, 0xa4, 0x42,  // cookie
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,  // transaction id
            ], attributes: [], type: .bindingRequest),
            RoundTrip(name: "binding indication (keepalive, RFC 8445 §11)", bytes: [
                0x00, 0x11, 0x00, 0x00,  // type=0x0011 Binding Indication, len=0
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
            ], attributes: [], type: .bindingIndication),
            RoundTrip(name: "Chrome-like request", bytes: Vectors.chromeLikeRequest, attributes: [
                .username("Sv8tQ2xa:u7Hc"),
                .other(type: 0xC057, value: [0x00, 0x01, 0x00, 0x32]),
                .iceControlling(0xb1a2_c3d4_e5f6_0718),
                .useCandidate,
                .priority(0x6e7f_1eff),
                .messageIntegrity(Array(Vectors.chromeLikeRequest[76..<96])),
                .fingerprint(0x19a6_bb06),
            ], type: .bindingRequest),
            RoundTrip(name: "487 Role Conflict", bytes: [
                0x01, 0x11, 0x00, 0x18,  // type=0x0111 Binding Error Response, len=24
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
                0x00, 0x09, 0x00, 0x11,  // ERROR-CODE, len=17
                0x00, 0x00, 0x04, 0x57,  //   reserved, class=4, number=87
                0x52, 0x6f, 0x6c, 0x65,  //   "Role
                0x20, 0x43, 0x6f, 0x6e,  //    Con
                0x66, 0x6c, 0x69, 0x63,  //    flic
                0x74, 0x00, 0x00, 0x00,  //    t" + padding
            ], attributes: [.errorCode(code: 487, reason: "Role Conflict")], type: .bindingError),
            RoundTrip(name: "420 with UNKNOWN-ATTRIBUTES", bytes: [
                0x01, 0x11, 0x00, 0x10,  // Binding Error Response, len=16
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
                0x00, 0x09, 0x00, 0x04,  // ERROR-CODE, len=4, empty reason
                0x00, 0x00, 0x04, 0x14,  //   class=4, number=20
                0x00, 0x0a, 0x00, 0x02,  // UNKNOWN-ATTRIBUTES, len=2
                0x7f, 0x01, 0x00, 0x00,  //   0x7F01 + padding
            ], attributes: [.errorCode(code: 420, reason: ""), .unknownAttributes([0x7F01])], type: .bindingError),
            RoundTrip(name: "MAPPED-ADDRESS IPv4 and IPv6", bytes: [
                0x01, 0x01, 0x00, 0x24,  // Binding Success Response, len=36
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
                0x00, 0x01, 0x00, 0x08,  // MAPPED-ADDRESS, len=8
                0x00, 0x01, 0x0d, 0x96,  //   family=IPv4, port=3478
                0xc0, 0x00, 0x02, 0x01,  //   192.0.2.1
                0x00, 0x01, 0x00, 0x14,  // MAPPED-ADDRESS, len=20
                0x00, 0x02, 0x0d, 0x96,  //   family=IPv6, port=3478
                0x20, 0x01, 0x0d, 0xb8,  //   2001:db8::1
                0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x01,
            ], attributes: [.mappedAddress(SocketAddress("192.0.2.1:3478")!),
                            .mappedAddress(SocketAddress("[2001:db8::1]:3478")!)], type: .bindingSuccess),
            RoundTrip(name: "ICE-CONTROLLED, SOFTWARE, MI-SHA256, unknown required attribute", bytes: [
                0x00, 0x01, 0x00, 0x40,  // Binding Request, len=64
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
                0x80, 0x29, 0x00, 0x08,  // ICE-CONTROLLED, len=8
                0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x2a,  //   tie-breaker 42
                0x80, 0x22, 0x00, 0x03,  // SOFTWARE, len=3
                0x73, 0x66, 0x75, 0x00,  //   "sfu" + padding
                0x7f, 0x01, 0x00, 0x01,  // unknown comprehension-required 0x7F01, len=1
                0xee, 0x00, 0x00, 0x00,  //   value + padding
                0x00, 0x1c, 0x00, 0x20,  // MESSAGE-INTEGRITY-SHA256, len=32
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
                0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
                0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
            ], attributes: [.iceControlled(42), .software("sfu"), .other(type: 0x7F01, value: [0xee]),
                            .messageIntegritySHA256(Array(1...32))], type: .bindingRequest),
        ]
    }

    func testRoundTripsAreByteExact() throws {
        for c in roundTrips {
            let m = try StunMessage.parse(c.bytes)
            XCTAssertEqual(m.type, c.type, c.name)
            XCTAssertEqual(m.transactionID, tid, c.name)
            XCTAssertEqual(m.attributes, c.attributes, c.name)
            XCTAssertEqual(m.serialized(), c.bytes, c.name)
            // And building the message from values gives the same bytes.
            XCTAssertEqual(StunMessage(type: c.type, transactionID: tid, attributes: c.attributes).serialized(), c.bytes, c.name)
        }
    }

    func testChromeLikeRequestVerifiesAndRebuildsIdentically() throws {
        XCTAssertTrue(StunIntegrity.verify(Vectors.chromeLikeRequest, key: Vectors.chromePassword))
        let m = try StunMessage.parse(Vectors.chromeLikeRequest)
        XCTAssertEqual(m.unknownComprehensionRequired, [])  // 0xC057 is optional
        // Recomputing the trailers with our code gives Python's bytes.
        XCTAssertEqual(m.serialized(integrityKey: Vectors.chromePassword, fingerprint: true), Vectors.chromeLikeRequest)
    }

    // MARK: Malformed input, each with its own error

    func testMalformedInputs() {
        let h: [UInt8] = [0x21, 0x12, 0xa4, 0x42, 0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31]  // cookie + tid
        let cases: [(String, [UInt8], StunParseError)] = [
            ("19-byte header", [0x00, 0x01, 0x00, 0x00] + h.dropLast(), .truncatedHeader(length: 19)),
            ("empty", [], .truncatedHeader(length: 0)),
            ("top bits set (RTP-like)", [0x80, 0x01, 0x00, 0x00] + h, .topBitsNotZero),
            ("RFC 3489 (no cookie)", [0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef] + h.dropFirst(4), .badMagicCookie(0xdead_beef)),
            ("length 5", [0x00, 0x01, 0x00, 0x05] + h + [0, 0, 0, 0, 0], .lengthNotMultipleOf4(5)),
            ("length 8, 4 bytes present", [0x00, 0x01, 0x00, 0x08] + h + [0x00, 0x25, 0x00, 0x00], .lengthMismatch(declared: 8, actual: 4)),
            ("length 0, trailing bytes", [0x00, 0x01, 0x00, 0x00] + h + [0x00, 0x25, 0x00, 0x00], .lengthMismatch(declared: 0, actual: 4)),
            ("attribute overruns", [0x00, 0x01, 0x00, 0x08] + h + [0x80, 0x22, 0x00, 0x08, 0x61, 0x62, 0x63, 0x64],
             .attributeOverrun(type: 0x8022, offset: 20)),
            ("padding overruns", [0x00, 0x01, 0x00, 0x08] + h + [0x80, 0x22, 0x00, 0x05, 0x61, 0x62, 0x63, 0x64],
             .attributeOverrun(type: 0x8022, offset: 20)),
            ("PRIORITY len=2", [0x00, 0x01, 0x00, 0x08] + h + [0x00, 0x24, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00],
             .invalidAttributeLength(type: 0x0024, length: 2)),
            ("USE-CANDIDATE len=4", [0x00, 0x01, 0x00, 0x08] + h + [0x00, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00],
             .invalidAttributeLength(type: 0x0025, length: 4)),
            ("ICE-CONTROLLING len=4", [0x00, 0x01, 0x00, 0x08] + h + [0x80, 0x2a, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01],
             .invalidAttributeLength(type: 0x802a, length: 4)),
            ("MESSAGE-INTEGRITY len=16", [0x00, 0x01, 0x00, 0x14] + h + [0x00, 0x08, 0x00, 0x10] + [UInt8](repeating: 7, count: 16),
             .invalidAttributeLength(type: 0x0008, length: 16)),
            ("MI-SHA256 len=12", [0x00, 0x01, 0x00, 0x10] + h + [0x00, 0x1c, 0x00, 0x0c] + [UInt8](repeating: 7, count: 12),
             .invalidAttributeLength(type: 0x001c, length: 12)),
            ("UNKNOWN-ATTRIBUTES len=3", [0x01, 0x11, 0x00, 0x08] + h + [0x00, 0x0a, 0x00, 0x03, 0x7f, 0x01, 0x7f, 0x00],
             .invalidAttributeLength(type: 0x000a, length: 3)),
            ("XOR-MAPPED-ADDRESS len=12", [0x01, 0x01, 0x00, 0x10] + h + [0x00, 0x20, 0x00, 0x0c] + [UInt8](repeating: 1, count: 12),
             .invalidAttributeLength(type: 0x0020, length: 12)),
            ("XOR-MAPPED-ADDRESS family 3", [0x01, 0x01, 0x00, 0x0c] + h + [0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0x12, 0x34, 1, 2, 3, 4],
             .invalidAttributeValue(type: 0x0020)),
            ("XOR-MAPPED-ADDRESS IPv4 family, IPv6 length", [0x01, 0x01, 0x00, 0x18] + h + [0x00, 0x20, 0x00, 0x14, 0x00, 0x01, 0x12, 0x34]
                + [UInt8](repeating: 1, count: 16), .invalidAttributeValue(type: 0x0020)),
            ("MAPPED-ADDRESS IPv6 family, IPv4 length", [0x01, 0x01, 0x00, 0x0c] + h + [0x00, 0x01, 0x00, 0x08, 0x00, 0x02, 0x12, 0x34, 1, 2, 3, 4],
             .invalidAttributeValue(type: 0x0001)),
            ("ERROR-CODE class 7", [0x01, 0x11, 0x00, 0x08] + h + [0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x07, 0x00],
             .invalidAttributeValue(type: 0x0009)),
            ("ERROR-CODE number 100", [0x01, 0x11, 0x00, 0x08] + h + [0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 0x64],
             .invalidAttributeValue(type: 0x0009)),
            ("ERROR-CODE len=2", [0x01, 0x11, 0x00, 0x08] + h + [0x00, 0x09, 0x00, 0x02, 0x04, 0x57, 0x00, 0x00],
             .invalidAttributeLength(type: 0x0009, length: 2)),
            ("USERNAME not UTF-8", [0x00, 0x01, 0x00, 0x08] + h + [0x00, 0x06, 0x00, 0x03, 0x61, 0xff, 0x62, 0x00],
             .invalidUTF8(type: 0x0006)),
            ("SOFTWARE not UTF-8", [0x00, 0x01, 0x00, 0x08] + h + [0x80, 0x22, 0x00, 0x02, 0xc3, 0x28, 0x00, 0x00],
             .invalidUTF8(type: 0x8022)),
            ("ERROR-CODE reason not UTF-8", [0x01, 0x11, 0x00, 0x08] + h + [0x00, 0x09, 0x00, 0x05, 0x00, 0x00, 0x04, 0x57, 0xfe, 0, 0, 0],
             .lengthMismatch(declared: 8, actual: 12)),
            ("ERROR-CODE reason not UTF-8 (sized)", [0x01, 0x11, 0x00, 0x0c] + h + [0x00, 0x09, 0x00, 0x05, 0x00, 0x00, 0x04, 0x57, 0xfe, 0, 0, 0],
             .invalidUTF8(type: 0x0009)),
            ("PRIORITY after MESSAGE-INTEGRITY", [0x00, 0x01, 0x00, 0x20] + h + [0x00, 0x08, 0x00, 0x14] + [UInt8](repeating: 9, count: 20)
                + [0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1], .attributeAfterIntegrity(type: 0x0024)),
            ("MESSAGE-INTEGRITY twice", [0x00, 0x01, 0x00, 0x30] + h + [0x00, 0x08, 0x00, 0x14] + [UInt8](repeating: 9, count: 20)
                + [0x00, 0x08, 0x00, 0x14] + [UInt8](repeating: 9, count: 20), .attributeAfterIntegrity(type: 0x0008)),
            ("PRIORITY after MI-SHA256", [0x00, 0x01, 0x00, 0x1c] + h + [0x00, 0x1c, 0x00, 0x10] + [UInt8](repeating: 9, count: 16)
                + [0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1], .attributeAfterIntegrity(type: 0x0024)),
            ("bad FINGERPRINT", [0x00, 0x01, 0x00, 0x08] + h + [0x80, 0x28, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef],
             .badFingerprint(expected: 0x698e_deb9, found: 0xdead_beef)),
            ("USE-CANDIDATE after FINGERPRINT", [
                0x00, 0x01, 0x00, 0x14,  // Binding Request, len=20
                0x21, 0x12, 0xa4, 0x42,
                0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31,
                0x00, 0x24, 0x00, 0x04,  // PRIORITY
                0x00, 0x00, 0x00, 0x01,
                0x80, 0x28, 0x00, 0x04,  // FINGERPRINT (valid over the bytes before it, with len=20)
                0x27, 0x29, 0xc3, 0xe9,
                0x00, 0x25, 0x00, 0x00,  // USE-CANDIDATE: not allowed after FINGERPRINT
            ], .fingerprintNotLast(followingType: 0x0025)),
        ]
        for (name, bytes, expected) in cases {
            XCTAssertThrowsError(try StunMessage.parse(bytes), name) { error in
                XCTAssertEqual(error as? StunParseError, expected, name)
            }
        }
    }

    /// The expected CRC in "bad FINGERPRINT" above, computed independently (zlib).
    func testBadFingerprintReportsTheExpectedValue() {
        let bytes: [UInt8] = [0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
                              0x4a, 0x6f, 0x73, 0x65, 0x66, 0x53, 0x74, 0x75, 0x6e, 0x21, 0x30, 0x31]
        XCTAssertEqual(CRC32.checksum(bytes) ^ 0x5354_554e, 0x698e_deb9)
    }

    // MARK: Pieces

    /// RFC 8489 §5 figure 3: class bits interleaved with method bits.
    func testMessageTypeBitLayout() {
        let table: [(UInt16, UInt16, StunClass)] = [
            (0x0001, 0x001, .request),
            (0x0011, 0x001, .indication),
            (0x0101, 0x001, .successResponse),
            (0x0111, 0x001, .errorResponse),
            (0x0003, 0x003, .request),            // Allocate (TURN)
            (0x0113, 0x003, .errorResponse),
            (0x3EEF, 0xFFF, .request),
            (0x3FFF, 0xFFF, .errorResponse),
        ]
        for (raw, method, cls) in table {
            let t = StunMessageType(rawValue: raw)
            XCTAssertEqual(t.method, method, String(raw, radix: 16))
            XCTAssertEqual(t.stunClass, cls, String(raw, radix: 16))
            XCTAssertEqual(t.rawValue, raw)
        }
        for raw in UInt16(0)...0x3FFF { XCTAssertEqual(StunMessageType(rawValue: raw).rawValue, raw) }
    }

    /// CRC-32 check value of "123456789" (the IEEE 802.3 CRC, as zlib).
    func testCRC32CheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    /// XOR-MAPPED-ADDRESS IPv6 depends on the transaction ID (RFC 8489 §14.2).
    func testXorMappedAddressRoundTripsBothFamilies() throws {
        for text in ["192.0.2.1:32853", "[2001:db8:1234:5678:11:2233:4455:6677]:32853", "[::1]:1", "0.0.0.0:0", "255.255.255.255:65535"] {
            let a = SocketAddress(text)!
            let m = StunMessage(type: .bindingSuccess, transactionID: .random(), attributes: [.xorMappedAddress(a)])
            XCTAssertEqual(try StunMessage.parse(m.serialized()).xorMappedAddress, a, text)
        }
    }

    func testDemuxByFirstByte() {
        XCTAssertEqual(DatagramKind(firstByte: 0x00), .stun)
        XCTAssertEqual(DatagramKind(firstByte: 0x01), .stun)
        XCTAssertEqual(DatagramKind(firstByte: 0x16), .dtls)   // handshake record
        XCTAssertEqual(DatagramKind(firstByte: 0x17), .dtls)   // application data
        XCTAssertEqual(DatagramKind(firstByte: 0x80), .rtpOrRtcp)
        XCTAssertEqual(DatagramKind(firstByte: 0x90), .rtpOrRtcp)
        XCTAssertEqual(DatagramKind(firstByte: 0x40), .turnChannel)
        XCTAssertEqual(DatagramKind(firstByte: 0x10), .zrtp)
        XCTAssertEqual(DatagramKind(firstByte: 0x04), .unknown)
        XCTAssertEqual(DatagramKind(firstByte: 0xC0), .unknown)
        XCTAssertTrue(StunMessage.isStun(firstByte: 3))
        XCTAssertFalse(StunMessage.isStun(firstByte: 4))
        XCTAssertTrue(Vectors.chromeLikeRequest.withUnsafeBytes { StunMessage.looksLikeStun($0) })
        XCTAssertFalse(Vectors.chromeLikeRequest.dropLast().withUnsafeBytes { StunMessage.looksLikeStun($0) })
    }
}

import XCTest
@testable import ICE

/// RFC 5769 "Test Vectors for STUN": the three short-term-credential samples,
/// byte for byte, with the RFC's own annotations. Password for all three:
/// "VOkJxbRl1RmTxUk/WvJxBt". Note the RFC fills padding with 0x20, not zero,
/// on purpose: receivers must ignore padding.
enum RFC5769 {
    static let password: [UInt8] = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)

    /// §2.1 Sample Request
    static let request: [UInt8] = [
        0x00, 0x01, 0x00, 0x58,  // Request type (Binding Request) and message length (88)
        0x21, 0x12, 0xa4, 0x42,  // Magic cookie
        0xb7, 0xe7, 0xa7, 0x01,  // }
        0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
        0xfa, 0x87, 0xdf, 0xae,  // }
        0x80, 0x22, 0x00, 0x10,  // SOFTWARE attribute header, length 16
        0x53, 0x54, 0x55, 0x4e,  // }
        0x20, 0x74, 0x65, 0x73,  // }  User-agent...
        0x74, 0x20, 0x63, 0x6c,  // }  ...name "STUN test client"
        0x69, 0x65, 0x6e, 0x74,  // }
        0x00, 0x24, 0x00, 0x04,  // PRIORITY attribute header
        0x6e, 0x00, 0x01, 0xff,  // ICE priority value
        0x80, 0x29, 0x00, 0x08,  // ICE-CONTROLLED attribute header
        0x93, 0x2f, 0xf9, 0xb1,  // }  Pseudo-random tie breaker...
        0x51, 0x26, 0x3b, 0x36,  // }   ...for ICE control
        0x00, 0x06, 0x00, 0x09,  // USERNAME attribute header, length 9
        0x65, 0x76, 0x74, 0x6a,  // }
        0x3a, 0x68, 0x36, 0x76,  // }  Username "evtj:h6vY" and padding (3 bytes of 0x20)
        0x59, 0x20, 0x20, 0x20,  // }
        0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
        0x9a, 0xea, 0xa7, 0x0c,  // }
        0xbf, 0xd8, 0xcb, 0x56,  // }
        0x78, 0x1e, 0xf2, 0xb5,  // }  HMAC-SHA1 fingerprint
        0xb2, 0xd3, 0xf2, 0x49,  // }
        0xc1, 0xb5, 0x71, 0xa2,  // }
        0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
        0xe5, 0x7a, 0x3b, 0xcf,  // CRC32 fingerprint
    ]

    /// §2.2 Sample IPv4 Response
    static let ipv4Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x3c,  // Response type (Binding Success) and message length (60)
        0x21, 0x12, 0xa4, 0x42,  // Magic cookie
        0xb7, 0xe7, 0xa7, 0x01,  // }
        0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
        0xfa, 0x87, 0xdf, 0xae,  // }
        0x80, 0x22, 0x00, 0x0b,  // SOFTWARE attribute header, length 11
        0x74, 0x65, 0x73, 0x74,  // }
        0x20, 0x76, 0x65, 0x63,  // }  UTF-8 server name "test vector" + 1 byte padding (0x20)
        0x74, 0x6f, 0x72, 0x20,  // }
        0x00, 0x20, 0x00, 0x08,  // XOR-MAPPED-ADDRESS attribute header
        0x00, 0x01, 0xa1, 0x47,  // Address family (IPv4) and xor'd mapped port number
        0xe1, 0x12, 0xa6, 0x43,  // Xor'd mapped IPv4 address
        0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
        0x2b, 0x91, 0xf5, 0x99,  // }
        0xfd, 0x9e, 0x90, 0xc3,  // }
        0x8c, 0x74, 0x89, 0xf9,  // }  HMAC-SHA1 fingerprint
        0x2a, 0xf9, 0xba, 0x53,  // }
        0xf0, 0x6b, 0xe7, 0xd7,  // }
        0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
        0xc0, 0x7d, 0x4c, 0x96,  // CRC32 fingerprint
    ]

    /// §2.3 Sample IPv6 Response
    static let ipv6Response: [UInt8] = [
        0x01, 0x01, 0x00, 0x48,  // Response type (Binding Success) and message length (72)
        0x21, 0x12, 0xa4, 0x42,  // Magic cookie
        0xb7, 0xe7, 0xa7, 0x01,  // }
        0xbc, 0x34, 0xd6, 0x86,  // }  Transaction ID
        0xfa, 0x87, 0xdf, 0xae,  // }
        0x80, 0x22, 0x00, 0x0b,  // SOFTWARE attribute header
        0x74, 0x65, 0x73, 0x74,  // }
        0x20, 0x76, 0x65, 0x63,  // }  UTF-8 server name
        0x74, 0x6f, 0x72, 0x20,  // }
        0x00, 0x20, 0x00, 0x14,  // XOR-MAPPED-ADDRESS attribute header, length 20
        0x00, 0x02, 0xa1, 0x47,  // Address family (IPv6) and xor'd mapped port number
        0x01, 0x13, 0xa9, 0xfa,  // }
        0xa5, 0xd3, 0xf1, 0x79,  // }  Xor'd mapped IPv6 address
        0xbc, 0x25, 0xf4, 0xb5,  // }
        0xbe, 0xd2, 0xb9, 0xd9,  // }
        0x00, 0x08, 0x00, 0x14,  // MESSAGE-INTEGRITY attribute header
        0xa3, 0x82, 0x95, 0x4e,  // }
        0x4b, 0xe6, 0x7b, 0xf1,  // }
        0x17, 0x84, 0xc9, 0x7c,  // }  HMAC-SHA1 fingerprint
        0x82, 0x92, 0xc2, 0x75,  // }
        0xbf, 0xe3, 0xed, 0x41,  // }
        0x80, 0x28, 0x00, 0x04,  // FINGERPRINT attribute header
        0xc8, 0xfb, 0x0b, 0x4c,  // CRC32 fingerprint
    ]

    static let transactionID = StunTransactionID(bytes: [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae])!
}

final class RFC5769VectorTests: XCTestCase {
    func test_2_1_sampleRequest_parses() throws {
        let m = try StunMessage.parse(RFC5769.request)
        XCTAssertEqual(m.type, .bindingRequest)
        XCTAssertEqual(m.transactionID, RFC5769.transactionID)
        XCTAssertEqual(m.software, "STUN test client")
        XCTAssertEqual(m.priority, 0x6e00_01ff)
        XCTAssertEqual(m.iceControlled, 0x932f_f9b1_5126_3b36)
        XCTAssertEqual(m.username, "evtj:h6vY")
        XCTAssertEqual(m.fingerprint, 0xe57a_3bcf)
        XCTAssertEqual(m.attributes.map(\.type), [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
    }

    func test_2_1_sampleRequest_integrity() {
        XCTAssertTrue(StunIntegrity.verify(RFC5769.request, key: RFC5769.password))
        XCTAssertFalse(StunIntegrity.verify(RFC5769.request, key: Array("VOkJxbRl1RmTxUk/WvJxBu".utf8)))
    }

    func test_2_2_sampleIPv4Response() throws {
        let m = try StunMessage.parse(RFC5769.ipv4Response)
        XCTAssertEqual(m.type, .bindingSuccess)
        XCTAssertEqual(m.software, "test vector")
        XCTAssertEqual(m.xorMappedAddress, SocketAddress("192.0.2.1:32853"))
        XCTAssertTrue(StunIntegrity.verify(RFC5769.ipv4Response, key: RFC5769.password))
    }

    func test_2_3_sampleIPv6Response() throws {
        let m = try StunMessage.parse(RFC5769.ipv6Response)
        XCTAssertEqual(m.type, .bindingSuccess)
        XCTAssertEqual(m.xorMappedAddress, SocketAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
        XCTAssertTrue(StunIntegrity.verify(RFC5769.ipv6Response, key: RFC5769.password))
    }

    /// Serializing the parsed vectors gives the same bytes except padding
    /// (RFC 5769 pads with 0x20; we write zeros, RFC 8489 §14).
    func testRoundTripDiffersOnlyInPadding() throws {
        let cases: [([UInt8], [Int])] = [
            (RFC5769.request, [73, 74, 75]),  // after USERNAME (9 bytes at 64)
            (RFC5769.ipv4Response, [35]),   // after SOFTWARE (11 bytes at 24)
            (RFC5769.ipv6Response, [35]),
        ]
        for (bytes, paddingOffsets) in cases {
            let out = try StunMessage.parse(bytes).serialized()
            XCTAssertEqual(out.count, bytes.count)
            var expected = bytes
            for i in paddingOffsets { expected[i] = 0 }
            XCTAssertEqual(out, expected)
        }
    }

    /// Recomputed trailers: same attributes, a MESSAGE-INTEGRITY that
    /// verifies with the password and a FINGERPRINT the parser accepts. (The
    /// values differ from the RFC's because its padding is 0x20, ours zero.)
    func testRecomputedTrailersVerify() throws {
        for bytes in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response] {
            let m = try StunMessage.parse(bytes)
            let out = m.serialized(integrityKey: RFC5769.password, fingerprint: true)
            XCTAssertEqual(out.count, bytes.count)
            XCTAssertTrue(StunIntegrity.verify(out, key: RFC5769.password))
            let again = try StunMessage.parse(out)
            XCTAssertEqual(again.attributes.map(\.type), m.attributes.map(\.type))
            XCTAssertEqual(Array(again.attributes.dropLast(2)), Array(m.attributes.dropLast(2)))
        }
    }

    /// With the RFC's own padding bytes, our HMAC and CRC give the RFC's values.
    func testTrailersOverRFCBytesMatch() {
        let bytes = RFC5769.request
        let mac = bytes.withUnsafeBytes { m in RFC5769.password.withUnsafeBytes { StunIntegrity.hmacSHA1(m, upTo: 76, key: $0) } }
        XCTAssertEqual(mac, Array(bytes[80..<100]))
        let crc = bytes.withUnsafeBytes { StunIntegrity.fingerprint($0, upTo: 100) }
        XCTAssertEqual(crc, 0xe57a_3bcf)
    }
}

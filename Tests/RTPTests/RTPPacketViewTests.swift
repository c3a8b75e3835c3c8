import XCTest
@testable import RTP

/// RFC 3550 §5.1 fixed header, CSRCs, padding; RFC 5761 demultiplexing.
final class RTPPacketViewTests: XCTestCase {
    // V=2 P=0 X=0 CC=0 | M=1 PT=111 | seq=0x1234 | ts=0xDEADBEEF | ssrc=0x01020304 | payload 4 bytes
    let opus: [UInt8] = hex("""
        80 ef 12 34   // V=2 P=0 X=0 CC=0 | M=1 PT=111 | seq=4660
        de ad be ef   // timestamp
        01 02 03 04   // SSRC
        fc ff fe 01   // Opus payload (TOC 0xfc ...)
        """)

    func testFixedHeaderAccessors() throws {
        try withRTP(opus) { p in
            XCTAssertEqual(p.version, 2)
            XCTAssertFalse(p.hasPadding)
            XCTAssertFalse(p.hasExtension)
            XCTAssertEqual(p.csrcCount, 0)
            XCTAssertTrue(p.marker)
            XCTAssertEqual(p.payloadType, 111)
            XCTAssertEqual(p.sequenceNumber, 0x1234)
            XCTAssertEqual(p.timestamp, 0xDEAD_BEEF)
            XCTAssertEqual(p.ssrc, 0x0102_0304)
            XCTAssertEqual(p.payloadOffset, 12)
            XCTAssertEqual(p.payloadLength, 4)
            XCTAssertEqual(Array(p.payload), [0xfc, 0xff, 0xfe, 0x01])
            XCTAssertNil(p.extensionProfile)
            XCTAssertEqual(p.extensionForm, .none)
        }
    }

    func testSettersRewriteInPlaceAndKeepNeighbouringBits() throws {
        var bytes = opus
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            p.payloadType = 96          // marker stays 1
            XCTAssertTrue(p.marker)
            p.marker = false            // payload type stays 96
            XCTAssertEqual(p.payloadType, 96)
            p.sequenceNumber = 0xFFFF
            p.timestamp = 1
            p.ssrc = 0xCAFE_BABE
        }
        XCTAssertEqual(bytes, hex("""
            80 60 ff ff   // M=0 PT=96 seq=65535
            00 00 00 01   // ts=1
            ca fe ba be   // SSRC
            fc ff fe 01
            """))
    }

    func testCSRCsAndPadding() throws {
        let bytes = hex("""
            a2 60 00 01   // V=2 P=1 X=0 CC=2 | M=0 PT=96 | seq=1
            00 00 00 02   // ts
            00 00 00 03   // SSRC
            00 00 00 0a   // CSRC 1
            00 00 00 0b   // CSRC 2
            aa bb         // payload
            00 00 03      // padding, count=3
            """)
        var copy = bytes
        try copy.withUnsafeMutableBytes { raw in
            var p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.csrcCount, 2)
            XCTAssertEqual(p.csrc(at: 0), 10)
            XCTAssertEqual(p.csrc(at: 1), 11)
            p.setCSRC(12, at: 1)
            XCTAssertEqual(p.csrc(at: 1), 12)
            XCTAssertEqual(p.payloadOffset, 20)
            XCTAssertEqual(p.paddingLength, 3)
            XCTAssertEqual(p.payloadLength, 2)
            XCTAssertEqual(p.removePadding(), 22)
            XCTAssertFalse(p.hasPadding)
            XCTAssertEqual(p.length, 22)
            XCTAssertEqual(p.payloadLength, 2)
            // Once removed, the shortened packet validates on its own.
            let again = try RTPPacketView(validating: raw.baseAddress!, length: p.length)
            XCTAssertEqual(again.paddingLength, 0)
        }
    }

    func testPaddingOnlyPacket() throws {
        // Chrome's bandwidth probes: padding only, no payload.
        let bytes = hex("""
            a0 60 00 07  00 00 00 00  00 00 00 01   // P=1
            00 00 00 00 00 00 00 08                 // 8 bytes of padding
            """)
        try withRTP(bytes) { p in
            XCTAssertEqual(p.payloadLength, 0)
            XCTAssertEqual(p.paddingLength, 8)
        }
    }

    /// Each malformed header gets its own error (RFC 3550 A.1 validity checks).
    func testMalformedTable() {
        let cases: [(String, [UInt8], RTPPacketError)] = [
            ("empty", [], .tooShort(length: 0)),
            ("11 bytes", Array(opus[..<11]), .tooShort(length: 11)),
            ("version 1", [0x40] + opus[1...], .badVersion(1)),
            ("version 0 (STUN-like)", [0x00] + opus[1...], .badVersion(0)),
            ("version 3", [0xC0] + opus[1...], .badVersion(3)),
            ("CC=15 in 16 bytes", [0x8F] + opus[1...], .csrcTruncated(csrcCount: 15, length: 16)),
            ("X=1, no room for the extension header", hex("90 60 00 01 00 00 00 01 00 00 00 02 be de"),
             .extensionHeaderTruncated),
            ("X=1, extension longer than the packet", hex("90 60 00 01 00 00 00 01 00 00 00 02 be de 00 02 10 aa 00 00"),
             .extensionTruncated(words: 2)),
            ("P=1, padding count 0", hex("a0 60 00 01 00 00 00 01 00 00 00 02 aa 00"), .badPadding(count: 0)),
            ("P=1, padding longer than the payload", hex("a0 60 00 01 00 00 00 01 00 00 00 02 aa 05"),
             .badPadding(count: 5)),
            ("P=1 after CSRCs, padding eats into the header", hex("a1 60 00 01 00 00 00 01 00 00 00 02 00 00 00 09"),
             .badPadding(count: 9)),
        ]
        for (name, bytes, expected) in cases {
            var copy = bytes + [0]            // never hand a zero-length buffer a nil base
            copy.withUnsafeMutableBytes { raw in
                do {
                    _ = try RTPPacketView(validating: raw.baseAddress!, length: bytes.count)
                    XCTFail("\(name): accepted")
                } catch {
                    XCTAssertEqual(error as? RTPPacketError, expected, name)
                }
            }
        }
    }

    /// RFC 5761 §4: RTCP packet types 192–223 in the second byte.
    func testRTCPDemultiplexing() {
        let table: [(UInt8, Bool)] = [(0x60, false), (0xE0, false), (0xEF, false), (191, false),
                                      (192, true), (200, true), (201, true), (206, true), (223, true), (224, false)]
        for (byte, isRTCP) in table {
            var bytes: [UInt8] = [0x80, byte]
            bytes.withUnsafeMutableBytes {
                XCTAssertEqual(RTPPacketView.looksLikeRTCP($0.baseAddress!, length: 2), isRTCP, "byte \(byte)")
            }
        }
    }
}

import XCTest
@testable import RecordStore

/// RFC 3533 page header and RFC 7845 §5.1 identification header checks.
final class OggCheckTests: XCTestCase {
    /// The first page of `ffmpeg -f lavfi -i sine=frequency=440:duration=2 -c:a libopus`.
    static let ffmpegFirstPage: [UInt8] = [
        0x4f, 0x67, 0x67, 0x53,                          // "OggS" capture pattern
        0x00,                                            // version 0
        0x02,                                            // header type: beginning of stream
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // granule position 0
        0x10, 0x0c, 0xc0, 0xb6,                          // bitstream serial number
        0x00, 0x00, 0x00, 0x00,                          // page sequence 0
        0x28, 0x7d, 0x9a, 0xdd,                          // CRC
        0x01, 0x13,                                      // 1 segment of 19 bytes
        0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64,  // "OpusHead"
        0x01, 0x01, 0x38, 0x01,                          // version 1, 1 channel, pre-skip 312
        0x80, 0xbb, 0x00, 0x00,                          // input sample rate 48000
        0x00, 0x00, 0x00,                                // output gain 0, mapping family 0
    ]

    /// A first page built from `packet`, with a correct CRC unless told otherwise.
    static func page(_ packet: [UInt8], flags: UInt8 = 0x02, version: UInt8 = 0, fixCRC: Bool = true) -> [UInt8] {
        var lacing: [UInt8] = []
        var n = packet.count
        while n >= 255 { lacing.append(255); n -= 255 }
        lacing.append(UInt8(n))
        var p: [UInt8] = Array("OggS".utf8) + [version, flags] + [UInt8](repeating: 0, count: 8) + [1, 2, 3, 4] + [0, 0, 0, 0] + [0, 0, 0, 0]
        p.append(UInt8(lacing.count))
        p += lacing + packet
        if fixCRC {
            let crc = OggCRC.checksum(p[...], zeroing: 22..<26)
            p[22] = UInt8(crc & 0xFF); p[23] = UInt8(crc >> 8 & 0xFF); p[24] = UInt8(crc >> 16 & 0xFF); p[25] = UInt8(crc >> 24)
        }
        return p
    }

    static func opusHead(channels: UInt8 = 2, family: UInt8 = 0, version: UInt8 = 1, table: [UInt8] = []) -> [UInt8] {
        Array("OpusHead".utf8) + [version, channels, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, family] + table
    }

    func verdict(_ bytes: [UInt8]) -> OggOpusSniffer.Verdict {
        var s = OggOpusSniffer()
        s.feed(bytes)
        return s.finish()
    }

    func testCRCMatchesTheStandardCheckValue() {
        // CRC-32 with polynomial 04C11DB7, init 0, no reflection, no final XOR:
        // the complement of CRC-32/POSIX's check value 0x765E7680.
        XCTAssertEqual(OggCRC.checksum(Array("123456789".utf8)[...]), 0x765E_7680 ^ 0xFFFF_FFFF)
        XCTAssertEqual(OggCRC.checksum([][...]), 0)
    }

    func testCRCOfARealPage() {
        let p = OggCheckTests.ffmpegFirstPage
        let stored = UInt32(p[22]) | UInt32(p[23]) << 8 | UInt32(p[24]) << 16 | UInt32(p[25]) << 24
        XCTAssertEqual(OggCRC.checksum(p[...], zeroing: 22..<26), stored)
    }

    func testAcceptsARealFirstPage() {
        XCTAssertEqual(verdict(OggCheckTests.ffmpegFirstPage), .accepted)
    }

    func testAcceptsWhenFedByteByByteAndDecidesAsSoonAsThePageIsComplete() {
        var s = OggOpusSniffer()
        let p = OggCheckTests.ffmpegFirstPage
        for (i, b) in p.enumerated() {
            let v = s.feed([b])
            XCTAssertEqual(v, i == p.count - 1 ? .accepted : .needMore, "after byte \(i)")
        }
        // Further bytes (the rest of the stream) do not change the verdict.
        XCTAssertEqual(s.feed([UInt8](repeating: 0xAB, count: 1000)), .accepted)
    }

    func testRejectsEarlyOnAWrongCapturePattern() {
        var s = OggOpusSniffer()
        XCTAssertEqual(s.feed(Array("Og".utf8)), .needMore)
        XCTAssertEqual(s.feed(Array("gX".utf8)), .rejected(.noCapturePattern))
        XCTAssertEqual(verdict(Array("ID3\u{3}".utf8) + [UInt8](repeating: 0, count: 100)), .rejected(.noCapturePattern))
    }

    func testRejectsEmptyAndTruncatedBodies() {
        XCTAssertEqual(verdict([]), .rejected(.empty))
        XCTAssertEqual(verdict(Array("OggS".utf8)), .rejected(.truncated(have: 4, need: 27)))
        let p = OggCheckTests.ffmpegFirstPage
        XCTAssertEqual(verdict(Array(p.dropLast(3))), .rejected(.truncated(have: 44, need: 47)))
    }

    func testRejectsHeaderViolations() {
        let head = OggCheckTests.opusHead()
        XCTAssertEqual(verdict(OggCheckTests.page(head, version: 1)), .rejected(.unsupportedVersion(1)))
        XCTAssertEqual(verdict(OggCheckTests.page(head, flags: 0x00)), .rejected(.notBeginningOfStream))
        XCTAssertEqual(verdict(OggCheckTests.page(head, flags: 0x03)), .rejected(.continuedPacket))
        XCTAssertEqual(verdict(OggCheckTests.page(head, flags: 0x0A)), .rejected(.reservedFlags(0x0A)))
        var noSegments = OggCheckTests.page(head)
        noSegments[26] = 0
        XCTAssertEqual(verdict(noSegments), .rejected(.noSegments))
    }

    func testRejectsABadCRC() {
        var p = OggCheckTests.ffmpegFirstPage
        p[40] ^= 0x01 // one bit of the sample rate
        guard case .rejected(.crcMismatch(let stored, let computed)) = verdict(p) else { return XCTFail("CRC not checked") }
        XCTAssertNotEqual(stored, computed)
    }

    func testRejectsOtherCodecsAndBadOpusHeads() {
        let vorbis: [UInt8] = [0x01] + Array("vorbis".utf8) + [UInt8](repeating: 0, count: 23)
        XCTAssertEqual(verdict(OggCheckTests.page(vorbis)), .rejected(.notOpus))
        XCTAssertEqual(verdict(OggCheckTests.page(Array("OpusTags".utf8) + [0, 0, 0, 0])), .rejected(.notOpus))
        XCTAssertEqual(verdict(OggCheckTests.page(Array(OggCheckTests.opusHead().prefix(15)))), .rejected(.opusHeadTooShort(15)))
        XCTAssertEqual(verdict(OggCheckTests.page(OggCheckTests.opusHead(version: 0x10))), .rejected(.unsupportedOpusVersion(0x10)))
        XCTAssertEqual(verdict(OggCheckTests.page(OggCheckTests.opusHead(channels: 0))), .rejected(.noChannels))
        guard case .rejected(.badChannelMapping) = verdict(OggCheckTests.page(OggCheckTests.opusHead(channels: 3))) else {
            return XCTFail("family 0 with 3 channels accepted")
        }
        guard case .rejected(.badChannelMapping) = verdict(OggCheckTests.page(OggCheckTests.opusHead(channels: 2, family: 1, table: [1, 1, 0]))) else {
            return XCTFail("family 1 with a short table accepted")
        }
        XCTAssertEqual(verdict(OggCheckTests.page(OggCheckTests.opusHead(channels: 2, family: 1, table: [1, 1, 0, 1]))), .accepted)
    }

    func testAcceptsHeadersSpanningSeveralLacingValues() {
        // A family-255 header with 250 channels is longer than 255 bytes: two lacing values.
        let table: [UInt8] = [250, 0] + (0..<250).map { UInt8($0) }
        let p = OggCheckTests.page(OggCheckTests.opusHead(channels: 250, family: 255, table: table))
        XCTAssertEqual(p[26], 2)
        XCTAssertEqual(verdict(p), .accepted)
    }

    func testFailureMessagesNameTheProblem() {
        XCTAssertTrue(OggOpusFailure.notOpus.description.contains("OpusHead"))
        XCTAssertTrue(OggOpusFailure.crcMismatch(stored: 1, computed: 2).description.contains("00000001"))
    }
}

import XCTest
@testable import RTP

/// Every malformed RTCP input is rejected with its own error and never
/// crashes; packets before the malformed one are still delivered.
final class RTCPMalformedTests: XCTestCase {
    static let table: [(String, [UInt8], RTCPError)] = [
        ("3 bytes", hex("81 c9 00"), .truncatedHeader(remaining: 3)),
        ("version 1", hex("41 c9 00 01 00 00 00 01"), .badVersion(1)),
        ("version 0", hex("01 c9 00 01 00 00 00 01"), .badVersion(0)),
        ("length past the datagram", hex("81 c9 00 07 00 00 00 01 00 00 00 02"),
         .lengthExceedsBuffer(declared: 32, available: 12)),
        ("padding count 0", hex("a0 c9 00 01 00 00 00 00"), .badPadding(count: 0)),
        ("padding larger than the body", hex("a0 c9 00 01 00 00 00 09"), .badPadding(count: 9)),
        ("SR shorter than the sender info", hex("80 c8 00 01 00 00 00 01"),
         .tooShort(packetType: 200, format: 0, length: 8)),
        ("SR with RC=1 and no block", hex("81 c8 00 06 00000001 00000000 00000000 00000000 00000000 00000000"),
         .tooShort(packetType: 200, format: 1, length: 28)),
        ("RR with RC=2 and one block", hex("82 c9 00 07 00000001 00000002 00000000 00000000 00000000 00000000 00000000"),
         .tooShort(packetType: 201, format: 2, length: 32)),
        ("RR without SSRC", hex("80 c9 00 00"), .tooShort(packetType: 201, format: 0, length: 4)),
        ("padding eats the RR block", hex("a1 c9 00 07 00000001 00000002 00000000 00000000 00000000 00000000 00000008"),
         .tooShort(packetType: 201, format: 1, length: 32)),
        ("SDES item longer than the packet", hex("81 ca 00 02 00 00 00 01 01 05 61 62"), .sdesTruncated(chunk: 0)),
        ("SDES without END", hex("81 ca 00 02 00 00 00 01 01 02 61 62"), .sdesTruncated(chunk: 0)),
        ("SDES SC=2 with one chunk", hex("82 ca 00 02 00 00 00 01 00 00 00 00"), .sdesTruncated(chunk: 1)),
        ("SDES chunk without SSRC", hex("81 ca 00 00"), .sdesTruncated(chunk: 0)),
        ("BYE SC=2 with one SSRC", hex("82 cb 00 01 00 00 00 01"), .tooShort(packetType: 203, format: 2, length: 8)),
        ("BYE reason past the packet", hex("81 cb 00 02 00 00 00 01 08 61 62 63"), .byeReasonTruncated),
        ("PLI without media SSRC", hex("81 ce 00 01 00 00 00 01"), .tooShort(packetType: 206, format: 1, length: 8)),
        ("NACK without FCI", hex("81 cd 00 02 00 00 00 01 00 00 00 02"), .emptyFeedback(packetType: 205, format: 1)),
        ("FIR without FCI", hex("84 ce 00 02 00 00 00 01 00 00 00 00"), .emptyFeedback(packetType: 206, format: 4)),
        ("FIR with half an entry", hex("84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 0a"),
         .emptyFeedback(packetType: 206, format: 4)),
        ("TMMBR without media SSRC", hex("83 cd 00 01 00 00 00 01"), .tooShort(packetType: 205, format: 3, length: 8)),
        ("REMB without the bitrate word", hex("8f ce 00 03 00 00 00 01 00 00 00 00 52 45 4d 42"),
         .tooShort(packetType: 206, format: 15, length: 16)),
        ("REMB announcing 3 SSRCs, carrying 1",
         hex("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 03 0e dc 6c 00 00 00 0a"), .rembTruncated(ssrcCount: 3)),
        ("REMB bitrate beyond 64 bits", hex("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 ff ff ff"),
         .rembBitrateOverflow(exponent: 63, mantissa: 0x3_FFFF)),
        ("TWCC without its fixed part", hex("8f cd 00 03 00 00 00 01 00 00 00 02 00 0a 00 01"),
         .tooShort(packetType: 205, format: 15, length: 16)),
        ("TWCC chunks stop short of the status count",
         hex("8f cd 00 05 00000001 00000002 000a 0064 00000001 2004 0000"),
         .transportCCChunksTruncated(statusCount: 100, described: 4)),
        ("TWCC deltas missing", hex("8f cd 00 05 00000001 00000002 000a 0004 00000001 2004 0102"),
         .transportCCDeltasTruncated),
        ("TWCC run of reserved symbol 3", hex("8f cd 00 05 00000001 00000002 000a 0001 00000001 6001 0000"),
         .transportCCReservedSymbol),
        ("TWCC 2-bit vector with symbol 3", hex("8f cd 00 05 00000001 00000002 000a 0001 00000001 f000 0000"),
         .transportCCReservedSymbol),
    ]

    func testTable() {
        for (name, bytes, expected) in Self.table {
            XCTAssertThrowsError(try decodeRTCP(bytes) { _ in 0 }, name) {
                XCTAssertEqual($0 as? RTCPError, expected, name)
            }
        }
    }

    /// A good PLI followed by garbage: the PLI is delivered, then the error.
    func testGoodPacketBeforeBadOneIsDelivered() throws {
        var seen: [String] = []
        var failure: RTCPError? = nil
        let bytes = hex("81 ce 00 02 00 00 00 01 00 00 00 02") + hex("81 c9 00 07 00")
        bytes.withUnsafeBytes { raw in
            var reader = RTCPCompoundReader(raw)
            do throws(RTCPError) {
                while let p = try reader.next() {
                    if case .pictureLossIndication = p { seen.append("PLI") }
                }
            } catch { failure = error }
            // After an error the reader is finished.
            XCTAssertNil(try? reader.next() ?? nil)
        }
        XCTAssertEqual(seen, ["PLI"])
        XCTAssertEqual(failure, .lengthExceedsBuffer(declared: 32, available: 5))
    }

    /// Unknown packet types and feedback formats are not errors.
    func testUnknownTypesAreOther() throws {
        let kinds = try decodeRTCP(hex("""
            80 cc 00 02  00 00 00 01  6e 61 6d 65   // APP "name"
            80 cf 00 01  00 00 00 01                // XR, no blocks
            80 d0 00 00                             // type 208
            83 cd 00 02  00 00 00 01  00 00 00 02   // TMMBR, no FCI
            """)) { packet -> Bool in if case .other = packet { return true } else { return false } }
        XCTAssertEqual(kinds, [true, true, true, true])
    }

    func testEmptyDatagramHasNoPackets() throws {
        XCTAssertEqual(try decodeRTCP([]) { _ in 0 }, [])
    }
}

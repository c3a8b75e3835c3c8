import XCTest
@testable import Recorder

/// RFC 3533 §6: CRC-32, polynomial 0x04C11DB7, init 0, MSB first, no final XOR.
final class OggCRCTests: XCTestCase {
    // Expected values computed independently with a bitwise Python loop:
    //   c = 0; for b in data: c ^= b << 24; 8× c = (c << 1) ^ 0x04C11DB7 if c & 1<<31 else c << 1 (mod 2^32)
    func testKnownVectors() {
        XCTAssertEqual(OggCRC.checksum([]), 0x0000_0000)
        XCTAssertEqual(OggCRC.checksum(Array("a".utf8)), 0xA864_DB20)
        XCTAssertEqual(OggCRC.checksum(Array("123456789".utf8)), 0x89A1_897F)  // the CRC catalogue's check input
        XCTAssertEqual(OggCRC.checksum(Array("OggS".utf8)), 0x5FB0_A94F)
        XCTAssertEqual(OggCRC.checksum((0...255).map { UInt8($0) }), 0xAC14_8725)  // bytes 0x00…0xFF
    }

    func testNotZlibCRC() {
        // zlib's CRC-32 of "123456789" is 0xCBF43926; the Ogg CRC differs.
        XCTAssertNotEqual(OggCRC.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testIncrementalEqualsWhole() {
        let a = Array("12345".utf8), b = Array("6789".utf8)
        let c = a.withUnsafeBytes { OggCRC.update(0, $0) }
        XCTAssertEqual(b.withUnsafeBytes { OggCRC.update(c, $0) }, 0x89A1_897F)
    }
}

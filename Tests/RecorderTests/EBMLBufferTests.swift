// EBML encoding table tests (RFC 8794 §4, §6, §7).
import XCTest
@testable import Recorder

final class EBMLBufferTests: XCTestCase {
    func testSizeVINTs() {
        let table: [(UInt64, [UInt8])] = [
            (0, [0x80]),                           // 1 byte: 1xxxxxxx
            (126, [0xFE]),
            (127, [0x40, 0x7F]),                   // 127 = all ones in 1 byte is reserved: 2 bytes
            (16_382, [0x7F, 0xFE]),
            (16_383, [0x20, 0x3F, 0xFF]),
            (EBMLBuffer.maxSize, [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
        ]
        for (size, expected) in table {
            var b = EBMLBuffer()
            b.size(size)
            XCTAssertEqual(b.bytes, expected, "size \(size)")
        }
        var w = EBMLBuffer()
        w.size(5, width: 8)
        XCTAssertEqual(w.bytes, [0x01, 0, 0, 0, 0, 0, 0, 5])
        var u = EBMLBuffer()
        u.unknownSize()
        XCTAssertEqual(u.bytes, [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testElements() {
        var b = EBMLBuffer()
        b.uint(MatroskaID.trackNumber, 0)          // zero: no data bytes
        b.uint(MatroskaID.timestampScale, 1_000_000)
        b.string(MatroskaID.docType, "webm")
        b.float(MatroskaID.duration, 1.5)
        XCTAssertEqual(b.bytes, [
            0xD7, 0x80,
            0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40,
            0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6D,
            0x44, 0x89, 0x88, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0,
        ])
        var m = EBMLBuffer()
        m.master(MatroskaID.video) { $0.uint(MatroskaID.pixelWidth, 320) }
        XCTAssertEqual(m.bytes, [0xE0, 0x84, 0xB0, 0x82, 0x01, 0x40])
    }

    func testVoidFillsExactly() {
        for total in [2, 11, 128, 129, 200] {
            var b = EBMLBuffer()
            b.void(total: total)
            XCTAssertEqual(b.bytes.count, total)
            XCTAssertEqual(b.bytes.first, 0xEC)
            var r = EBMLReader(b.bytes)
            let h = try? r.header()
            XCTAssertEqual(h.map { $0.dataStart + Int($0.size ?? 0) }, total, "void of \(total)")
        }
    }

    func testReaderRejectsMalformedHeaders() {
        var r = EBMLReader([0x00, 0x81])
        XCTAssertThrowsError(try r.header()) { XCTAssertEqual($0 as? WebMReadError, .badID(offset: 0)) }
        r = EBMLReader([0x08, 1, 2, 3, 4, 0x80])      // 5-byte ID
        XCTAssertThrowsError(try r.header()) { XCTAssertEqual($0 as? WebMReadError, .badID(offset: 0)) }
        r = EBMLReader([0xEC, 0x00])                   // size VINT of width > 8
        XCTAssertThrowsError(try r.header()) { XCTAssertEqual($0 as? WebMReadError, .badSize(offset: 1)) }
        r = EBMLReader([0x1A, 0x45])                   // cut inside the ID
        XCTAssertThrowsError(try r.header()) { XCTAssertEqual($0 as? WebMReadError, .truncated(offset: 0)) }
        r = EBMLReader([0xEC, 0xFF])                   // unknown size
        XCTAssertNil(try r.header().size)
    }
}

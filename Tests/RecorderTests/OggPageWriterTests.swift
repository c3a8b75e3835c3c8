import XCTest
@testable import Recorder

/// RFC 3533 §5 (lacing) and §6 (page header), checked with the test parser.
final class OggPageWriterTests: XCTestCase {
    func testHeaderFieldsAndRoundTrip() throws {
        let sink = OggBufferSink()
        var w = OggPageWriter(serial: 0xCAFE_BABE)
        try w.append(packet: [1, 2, 3], granule: 10, to: sink)
        try w.append(packet: [4, 5], granule: 20, to: sink)
        try w.flush(to: sink)
        try w.append(packet: [6], granule: 30, to: sink)
        try w.flush(eos: true, to: sink)

        // First page, byte by byte: "OggS", version 0, flags BOS, granule 20,
        // serial, sequence 0, CRC, 2 segments (3, 2), body.
        let b = sink.bytes
        XCTAssertEqual(Array(b[0..<6]), [0x4F, 0x67, 0x67, 0x53, 0x00, 0x02])
        XCTAssertEqual(Array(b[6..<14]), [20, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(b[14..<18]), [0xBE, 0xBA, 0xFE, 0xCA])
        XCTAssertEqual(Array(b[18..<22]), [0, 0, 0, 0])
        XCTAssertEqual(Array(b[26..<33]), [2, 3, 2, 1, 2, 3, 4])

        let pages = try parsePages(b)
        XCTAssertEqual(pages.map(\.sequence), [0, 1])
        XCTAssertEqual(pages.map(\.flags), [0x02, 0x04])
        XCTAssertEqual(pages.map(\.granule), [20, 30])
        let p = packets(of: pages)
        XCTAssertEqual(p.map(\.bytes), [[1, 2, 3], [4, 5], [6]])
    }

    func testLacingOfMultiplesOf255() throws {
        let sink = OggBufferSink()
        var w = OggPageWriter(serial: 1)
        let p255 = [UInt8](repeating: 7, count: 255), p510 = [UInt8](repeating: 8, count: 510)
        try w.append(packet: p255, granule: 1, to: sink)
        try w.append(packet: [], granule: 2, to: sink)
        try w.append(packet: p510, granule: 3, to: sink)
        try w.flush(to: sink)
        let pages = try parsePages(sink.bytes)
        // 255 → [255, 0]; empty → [0]; 510 → [255, 255, 0]
        XCTAssertEqual(pages[0].lacing, [255, 0, 0, 255, 255, 0])
        XCTAssertEqual(packets(of: pages).map(\.bytes), [p255, [], p510])
    }

    func testPacketSpanningPages() throws {
        let sink = OggBufferSink()
        var w = OggPageWriter(serial: 2)
        try w.append(packet: [9], granule: 5, to: sink)
        // 255 × 255 + 10 bytes: 256 segments, more than one page holds.
        let big = (0..<(255 * 255 + 10)).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try w.append(packet: big, granule: 100, to: sink)
        try w.append(packet: [1, 2], granule: 200, to: sink)
        try w.flush(eos: true, to: sink)
        let pages = try parsePages(sink.bytes)
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[0].lacing.count, 255)
        XCTAssertEqual(pages[0].granule, 5)                // [9] ends here, big does not
        XCTAssertTrue(pages[1].continued)
        XCTAssertTrue(pages[1].eos)
        XCTAssertEqual(pages[1].granule, 200)
        XCTAssertEqual(packets(of: pages).map(\.bytes), [[9], big, [1, 2]])
    }

    func testPageWithNoPacketEndingHasGranuleMinusOne() throws {
        let sink = OggBufferSink()
        var w = OggPageWriter(serial: 3)
        let huge = [UInt8](repeating: 1, count: 255 * 600)   // spans three pages
        try w.append(packet: huge, granule: 42, to: sink)
        try w.flush(to: sink)
        let pages = try parsePages(sink.bytes)
        XCTAssertEqual(pages.map(\.granule), [-1, -1, 42])
        XCTAssertEqual(pages.map(\.continued), [false, true, true])
        XCTAssertEqual(packets(of: pages).map(\.bytes), [huge])
    }

    func testEmptyEOSPageKeepsLastGranule() throws {
        let sink = OggBufferSink()
        var w = OggPageWriter(serial: 4)
        try w.append(packet: [1], granule: 960, to: sink)
        try w.flush(to: sink)
        try w.flush(to: sink)            // nothing pending: no page
        try w.flush(eos: true, to: sink)
        let pages = try parsePages(sink.bytes)
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[1].lacing, [])
        XCTAssertEqual(pages[1].granule, 960)
        XCTAssertTrue(pages[1].eos)
    }
}

// OggReader against the writer's pages and against corrupted input.
import XCTest
@testable import Recorder

final class OggReaderTests: XCTestCase {
    func sample() throws -> [UInt8] {
        let sink = OggBufferSink()
        var w = try OggOpusWriter(sink: sink, serial: 0xABCD, channels: 1, flushInterval: 960 * 5)
        for i in 0..<12 { try w.write(opusPacket: [0xF8] + Array(repeating: UInt8(i), count: i * 40)) }
        try w.write(opusPacket: [0xF8] + Array(repeating: 7, count: 600))  // spans segments of 255
        try w.finish()
        return sink.bytes
    }

    func testPacketsAndGranules() throws {
        let packets = try OggReader.packets(try sample())
        XCTAssertEqual(packets.count, 2 + 13)
        XCTAssertEqual(Array(packets[0].bytes.prefix(8)), Array("OpusHead".utf8))
        XCTAssertEqual(Array(packets[1].bytes.prefix(8)), Array("OpusTags".utf8))
        XCTAssertEqual(packets[2 + 5].bytes, [0xF8] + Array(repeating: 5, count: 200))
        XCTAssertEqual(packets.last?.bytes.count, 601)
        // Pages flush every 5 packets: the 5th audio packet ends a page with granule 312 + 5 × 960.
        XCTAssertTrue(packets[2 + 4].endsPage)
        XCTAssertEqual(packets[2 + 4].granule, 312 + 5 * 960)
        XCTAssertFalse(packets[2 + 3].endsPage)
        XCTAssertEqual(packets.last?.granule, 312 + 13 * 960)
        XCTAssertTrue(packets.allSatisfy { $0.serial == 0xABCD })
    }

    func testErrorsNameTheFault() throws {
        let good = try sample()
        var crc = good
        crc[30] ^= 0xFF  // inside the OpusHead body of page 0
        XCTAssertThrowsError(try OggReader.packets(crc)) { XCTAssertEqual($0 as? OggReadError, .badCRC(offset: 0, sequence: 0)) }
        var capture = good
        capture[0] = 0x6F
        XCTAssertThrowsError(try OggReader.packets(capture)) { XCTAssertEqual($0 as? OggReadError, .badCapturePattern(offset: 0)) }
        var version = good
        version[4] = 1
        XCTAssertThrowsError(try OggReader.packets(version)) { XCTAssertEqual($0 as? OggReadError, .unsupportedVersion(offset: 0, version: 1)) }
        let cut = Array(good.prefix(good.count - 10))
        var reader = OggReader(cut)
        var lastOffset = 0
        while let _ = try? reader.nextPage() { lastOffset = reader.offset }
        XCTAssertThrowsError(try OggReader.packets(cut)) { XCTAssertEqual($0 as? OggReadError, .truncated(offset: lastOffset)) }
        XCTAssertGreaterThan(try OggReader.packets(cut, allowTruncatedTail: true).count, 2)
        var limited = OggReader(good)
        limited.maxPacketSize = 10
        XCTAssertNotNil(try limited.nextPage())  // pages are fine; the limit applies to packets
        // Two streams interleaved.
        let other = OggBufferSink()
        _ = try OggOpusWriter(sink: other, serial: 1, channels: 1)
        XCTAssertThrowsError(try OggReader.packets(good + other.bytes)) { XCTAssertEqual($0 as? OggReadError, .multipleStreams(0xABCD, 1)) }
    }

    func testReadsFfmpegOggOpus() throws {
        let dir = try makeTempDirectory("oggr")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.ogg").path
        try MediaTools.makeOpus(path, seconds: 2)
        let packets = try OggReader.packets(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let audio = packets.dropFirst(2)
        // The last granule says exactly 2 s (end trimming, RFC 7845 §4.5); the packets cover it.
        XCTAssertEqual(audio.last?.granule, 312 + 96_000)
        let samples = audio.reduce(0) { $0 + (OpusPacket.sampleCount($1.bytes) ?? 0) }
        XCTAssertTrue((96_312..<96_312 + 960).contains(samples), "\(samples) samples")
    }
}

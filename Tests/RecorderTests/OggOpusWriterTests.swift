import XCTest
@testable import Recorder

/// RFC 7845 §3 (page layout), §4 (granule positions), §5 (headers).
final class OggOpusWriterTests: XCTestCase {
    func testHeadersOnTheirOwnPages() throws {
        let sink = OggBufferSink()
        var w = try OggOpusWriter(sink: sink, serial: 77, channels: 2, comments: ["ROOM=a"])
        try w.write(opusPacket: [0xFC, 1, 2, 3])
        try w.finish()
        let pages = try parsePages(sink.bytes)
        XCTAssertEqual(pages.count, 3)
        XCTAssertTrue(pages[0].bos)
        XCTAssertEqual(pages[0].lacing.count, 1)
        XCTAssertEqual(pages[0].granule, 0)
        // "OpusHead", version 1, 2 channels, pre-skip 312 (0x0138), 48000 Hz, gain 0, family 0
        XCTAssertEqual(pages[0].body, Array("OpusHead".utf8) + [1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0, 0])
        XCTAssertEqual(pages[1].granule, 0)
        XCTAssertEqual(pages[1].body, Array("OpusTags".utf8) + [3, 0, 0, 0] + Array("sfu".utf8)
                       + [1, 0, 0, 0, 6, 0, 0, 0] + Array("ROOM=a".utf8))
        XCTAssertTrue(pages[2].eos)
        XCTAssertEqual(pages[2].granule, 312 + 960)
    }

    func testGranuleIsPreSkipPlusSamplesThroughLastCompletedPacket() throws {
        let sink = OggBufferSink()
        // Flush every 100 ms of audio.
        var w = try OggOpusWriter(sink: sink, serial: 1, channels: 1, flushInterval: 4800)
        for _ in 0..<12 { try w.write(opusPacket: [0xF8, 0xAA]) }   // 12 × 20 ms
        try w.finish()
        let audio = try Array(parsePages(sink.bytes).dropFirst(2))
        // 100 ms reached after 5 packets, then 5 more, then the last 2 on the EOS page.
        XCTAssertEqual(audio.map(\.granule), [312 + 4800, 312 + 9600, 312 + 11520])
        XCTAssertEqual(audio.map { $0.lacing.count }, [5, 5, 2])
        XCTAssertEqual(audio.map(\.eos), [false, false, true])
    }

    func testSilenceFillsExactly() throws {
        let sink = OggBufferSink()
        var w = try OggOpusWriter(sink: sink, serial: 1, channels: 2)
        try w.writeSilence(samples: 48_000 + 360 + 50)   // 1 s + 7.5 ms + 50 samples
        XCTAssertEqual(w.totalSamples, 48_360)          // the 50 carry over
        try w.writeSilence(samples: 70)                 // 50 + 70 = one 2.5 ms frame
        XCTAssertEqual(w.totalSamples, 48_480)
        try w.finish()
        let p = try packets(of: parsePages(sink.bytes)).dropFirst(2)
        XCTAssertEqual(p.count, 50 + 2 + 1)             // 50 × 20 ms, 5 ms, 2.5 ms, then 2.5 ms
        XCTAssertTrue(p.allSatisfy { $0.bytes.count == 1 && $0.bytes[0] & 0x04 != 0 })
        XCTAssertEqual(p.last?.granule, 312 + 48_480)
    }

    func testRejectsInvalidPacketAndWriteAfterFinish() throws {
        var w = try OggOpusWriter(sink: OggBufferSink(), serial: 1)
        XCTAssertThrowsError(try w.write(opusPacket: [UInt8]()))
        try w.finish()
        XCTAssertThrowsError(try w.write(opusPacket: [0xF8]))
    }
}

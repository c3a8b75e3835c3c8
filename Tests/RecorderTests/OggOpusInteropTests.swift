// Independent readers: ffmpeg encodes a 440 Hz tone to Ogg Opus, the test
// parser pulls its Opus packets out, OggOpusWriter re-muxes them, and
// ffprobe, ffmpeg and opusinfo must read the result.
import Foundation
import XCTest
@testable import Recorder

final class OggOpusInteropTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ogg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }


    /// A 3 s 440 Hz tone as Opus packets (mono, 20 ms frames), via ffmpeg.
    func sourcePackets() throws -> (packets: [[UInt8]], duration: Double) {
        let src = dir.appendingPathComponent("src.ogg").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
                         "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-y", src])
        XCTAssertEqual(r.status, 0, r.err)
        let pages = try parsePages(Array(try Data(contentsOf: URL(fileURLWithPath: src))))
        let all = packets(of: pages)
        XCTAssertEqual(all.first.map { Array($0.bytes.prefix(8)) }, Array("OpusHead".utf8))
        return (all.dropFirst(2).map(\.bytes), try duration(src))
    }

    func duration(_ path: String) throws -> Double {
        let r = try runTool(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        XCTAssertEqual(r.status, 0, r.err)
        return Double(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func assertDecodesCleanly(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runTool(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, file: file, line: line)
        XCTAssertEqual(r.err, "", "ffmpeg -v error said: \(r.err)", file: file, line: line)
    }

    /// Writes packets (and optionally a gap) to `name` through a file descriptor sink.
    func remux(_ name: String, _ source: [[UInt8]], gapAfter: Int? = nil, gapSamples: Int = 0,
               finish: Bool = true) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var w = try OggOpusWriter(sink: OggFileDescriptorSink(fd: fd), serial: 0x5F0_0001, channels: 1,
                                  comments: ["TITLE=tone"])
        for (i, p) in source.enumerated() {
            try w.write(opusPacket: p)
            if i == gapAfter { try w.writeSilence(samples: gapSamples) }
        }
        if finish { try w.finish() }
        return path
    }

    func testRemuxedFfmpegToneReadsBackWithSameDuration() throws {
        let (source, srcDuration) = try sourcePackets()
        XCTAssertGreaterThan(source.count, 100)
        let out = try remux("out.ogg", source)

        let d = try duration(out)
        print("ffprobe: source \(srcDuration) s, remuxed \(d) s")
        XCTAssertEqual(d, srcDuration, accuracy: 0.05, "ffprobe: remuxed \(d) s, source \(srcDuration) s")
        try assertDecodesCleanly(out)
        let info = try runTool(["opusinfo", out])
        XCTAssertEqual(info.status, 0, info.out + info.err)
        XCTAssertFalse(info.out.lowercased().contains("warning"), info.out)
        XCTAssertFalse(info.err.lowercased().contains("warning"), info.err)
        XCTAssertTrue(info.out.contains("Encoded with sfu"), info.out)
        // Our parser reads back exactly the packets we wrote.
        let back = try packets(of: parsePages(Array(try Data(contentsOf: URL(fileURLWithPath: out))))).dropFirst(2)
        XCTAssertEqual(back.map(\.bytes), source)
    }

    func testOneSecondGapFilledWithSilenceAddsOneSecond() throws {
        let (source, srcDuration) = try sourcePackets()
        let out = try remux("gap.ogg", source, gapAfter: source.count / 2, gapSamples: 48_000)
        let d = try duration(out)
        print("ffprobe: source \(srcDuration) s, with 1 s gap \(d) s")
        XCTAssertEqual(d, srcDuration + 1, accuracy: 0.05, "ffprobe: with gap \(d) s, source \(srcDuration) s")
        try assertDecodesCleanly(out)
        let info = try runTool(["opusinfo", out])
        XCTAssertEqual(info.status, 0, info.out + info.err)
        XCTAssertFalse((info.out + info.err).lowercased().contains("warning"), info.out + info.err)
    }

    func testUnfinishedFileStillPlaysUpToTheLastFlush() throws {
        // A crash: 2.8 s written (140 × 20 ms), no finish(). Pages are flushed
        // every second, so the last 0.8 s never reached the file.
        let (source, _) = try sourcePackets()
        let out = try remux("crash.ogg", Array(source.prefix(140)), finish: false)
        let d = try duration(out)
        print("ffprobe: unfinished 2.8 s file reads \(d) s")
        XCTAssertGreaterThanOrEqual(d, 2.0, "ffprobe reads \(d) s of an unfinished 2.8 s file")
        XCTAssertLessThan(d, 2.8)
        let r = try runTool(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, r.err)
    }
}

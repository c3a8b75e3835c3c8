// The streaming block reader against the whole-file WebMReader: the same
// blocks, in the same order, for a multi-window ffmpeg file and for a
// crashed (cut) recording.
import Foundation
import XCTest
@testable import Recorder

final class WebMBlockStreamTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("stream") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func blocks(_ path: String, video: Bool) throws -> [WebMBlock] {
        let s = try XCTUnwrap(try WebMBlockStream(path: path, select: { $0.isVideo == video }))
        var out: [WebMBlock] = []
        while let b = try s.next() { out.append(b) }
        return out
    }

    func testSameBlocksAsWebMReader() throws {
        // ~2 MB: the 1 MiB window slides; ffmpeg ends the Opus
        // track with a BlockGroup (DiscardPadding).
        let path = dir.appendingPathComponent("big.webm").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=6",
                             "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                             "-c:v", "libvpx", "-b:v", "4M", "-deadline", "realtime", "-c:a", "libopus", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(bytes.count, 3 << 19, "more than one window")
        let whole = try WebMReader.read(bytes)
        for video in [true, false] {
            let number = whole.tracks.first { $0.isVideo == video }!.number
            let expected = whole.blocks.filter { $0.track == number }
            let streamed = try blocks(path, video: video)
            XCTAssertEqual(streamed.count, expected.count)
            XCTAssertTrue(streamed == expected, "video \(video): blocks differ")
        }
        XCTAssertEqual(try blocks(path, video: true).count, 180)
    }

    func testCutRecordingEndsAtTheLastCompleteBlock() throws {
        let path = dir.appendingPathComponent("cut.webm").path
        let sink = WebMBufferSink()
        let writer = try WebMWriter(sink: sink, tracks: [.video(.vp8, number: 1, width: 64, height: 48)])
        for i in 0..<40 {
            try writer.write(track: 1, timestampMs: Int64(i * 50), keyframe: i % 10 == 0,
                             data: [UInt8](repeating: UInt8(i), count: 3000))
        }
        try writer.flush()
        // Cut in the middle of the last cluster's 5th block.
        let cut = Array(sink.bytes.prefix(sink.bytes.count - 5 * 3010 - 1500))
        try Data(cut).write(to: URL(fileURLWithPath: path))
        let whole = try WebMReader.read(cut, allowTruncatedTail: true)
        let streamed = try blocks(path, video: true)
        XCTAssertEqual(streamed.map(\.timestampMs), whole.blocks.map(\.timestampMs))
        XCTAssertEqual(streamed.count, 34)
        XCTAssertEqual(streamed.last?.data.first, 33)
    }

    func testNotWebMIsMalformed() throws {
        let path = dir.appendingPathComponent("junk.webm").path
        try Data([UInt8](repeating: 0x42, count: 100)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try WebMBlockStream(path: path, select: { _ in true })) {
            guard case .malformed? = $0 as? PostInputError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try WebMBlockStream(path: dir.appendingPathComponent("none").path, select: { _ in true })) {
            guard case .unreadable? = $0 as? PostInputError else { return XCTFail("\($0)") }
        }
    }
}

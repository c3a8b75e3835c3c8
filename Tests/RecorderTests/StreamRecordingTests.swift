// StreamRecording end to end with VP8 and Opus: ffprobe/ffmpeg read and
// decode the files; WebMReader checks lip sync and audio continuity.
import Foundation
import Handoff
import XCTest
@testable import Recorder

final class StreamRecordingTests: StreamRecordingTestCase {
    func testVP8AndOpusWithLossReorderAndDuplicatesMakeAPlayableWebM() throws {
        let m = try media(seconds: 10, video: true)
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("alice").path, tracks: [
            RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000, channels: 2),
            RecordedTrack(kind: .video, codec: "VP8", clockRate: 90_000),
        ])
        XCTAssertTrue(rec.path.hasSuffix("alice.webm"))
        var rng = TestRandom(seed: 42)
        // Video travels 80 ms slower than audio, and the tap sees video only from 0.5 s on (its
        // first keyframe is then at 1 s): only the sender reports can align them.
        let (requests, lost) = record(rec, m, videoTrack: 1, audioTrack: 0, rng: &rng, loss: 0.05, extraDelayMs: [1: 80],
                                      videoFromMs: 500)
        let s = try rec.finish()
        print("StreamRecording VP8+Opus: \(lost) packets lost, \(requests) keyframe requests, stats \(rec.trackStats), summary \(s)")
        XCTAssertGreaterThan(lost, 25)
        XCTAssertGreaterThan(requests, 0)
        XCTAssertEqual(s.format, "webm")
        XCTAssertTrue(s.hasGaps)
        XCTAssertNotNil(rec.originArrivalNs)
        let wall = try XCTUnwrap(rec.originWallclockUs)
        XCTAssertEqual(Double(wall - ntpBase.unixMicroseconds), 0, accuracy: 100_000, "file time 0 = media time 0 (first audio frame)")
        XCTAssertEqual(Double(s.durationMs), 10_000, accuracy: 500)
        XCTAssertEqual(s.size, Int64((try FileManager.default.attributesOfItem(atPath: s.path)[.size] as? Int) ?? -1))

        XCTAssertEqual(try MediaTools.probe(s.path, "stream=codec_name"), "opus\nvp8")
        let d = try MediaTools.duration(s.path)
        print("ffprobe: recorded WebM \(d) s")
        XCTAssertEqual(d, 10, accuracy: 0.5)
        try MediaTools.assertDecodesCleanly(s.path)

        // Lip sync: the first video block sits at its media time relative to the first audio block.
        let file = try WebMReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: s.path))))
        let firstVideo = try XCTUnwrap(file.blocks.first { $0.track == 2 })
        let firstAudio = try XCTUnwrap(file.blocks.first { $0.track == 1 })
        XCTAssertTrue(firstVideo.keyframe)
        let videoIndex = try XCTUnwrap(m.video.firstIndex { $0.data == firstVideo.data })
        let audioIndex = try XCTUnwrap(m.audio.firstIndex { $0 == firstAudio.data })
        let expected = Double(m.video[videoIndex].pts) * 1000 / 30 - Double(audioIndex) * 20
        print("A/V: first video at \(firstVideo.timestampMs) ms, first audio at \(firstAudio.timestampMs) ms, media offset \(expected) ms")
        XCTAssertGreaterThanOrEqual(expected, 1000)
        XCTAssertEqual(Double(firstVideo.timestampMs - firstAudio.timestampMs), expected, accuracy: 25)
        // Audio covers the whole call: packets + concealment, 20 ms each, no holes.
        let audio = file.blocks.filter { $0.track == 1 }
        XCTAssertEqual(Double(audio.count) * 20, Double(m.audio.count) * 20 - Double(firstAudio.timestampMs) - Double(audioIndex) * 20, accuracy: 200)
    }

    func testAudioOnlyIsOggWithConcealedLoss() throws {
        let m = try media(seconds: 10, video: false)
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("bob").path,
                                      tracks: [RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000, channels: 2)])
        var rng = TestRandom(seed: 7)
        let (_, lost) = record(rec, m, videoTrack: nil, audioTrack: 0, rng: &rng, loss: 0.05)
        let s = try rec.finish()
        print("StreamRecording Opus: \(lost) lost, \(rec.trackStats), \(s)")
        XCTAssertEqual(s.format, "ogg")
        // File time 0 is the first frame's arrival (5…35 ms after the first send); its sender-report wall clock is known.
        let origin = try XCTUnwrap(rec.originArrivalNs)
        XCTAssertTrue((start + 5_000_000...start + 150_000_000).contains(origin), "\(origin)")
        let wall = try XCTUnwrap(rec.originWallclockUs)
        XCTAssertEqual(Double(wall - ntpBase.unixMicroseconds), 0, accuracy: 200_000, "first audio frame's NTP time")
        XCTAssertTrue(s.path.hasSuffix("bob.ogg"))
        XCTAssertTrue(s.hasGaps)
        let d = try MediaTools.duration(s.path)
        print("ffprobe: recorded Ogg \(d) s")
        XCTAssertEqual(d, 10, accuracy: 0.5)
        XCTAssertEqual(Double(s.durationMs) / 1000, d, accuracy: 0.05)
        try MediaTools.assertDecodesCleanly(s.path)
        XCTAssertEqual(try MediaTools.probe(s.path, "stream=codec_name"), "opus")
    }

    func testCrashKeepsWhatWasFlushed() throws {
        let m = try media(seconds: 4, video: true)
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("crash").path, tracks: [
            RecordedTrack(kind: .video, codec: "VP8", clockRate: 90_000),
            RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000, channels: 2),
        ])
        var rng = TestRandom(seed: 3)
        _ = record(rec, m, videoTrack: 0, audioTrack: 1, rng: &rng, loss: 0, crashAtMs: 3500)
        // No finish(): the process "died" at 3.5 s. Everything but the last second is on disk and plays.
        let r = try runTool(["ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", rec.path])
        XCTAssertEqual(r.status, 0, r.err)
        let last = r.out.split(separator: "\n").compactMap { Double($0) }.max() ?? 0
        print("ffprobe: unfinished 4 s recording has packets up to \(last) s")
        XCTAssertGreaterThan(last, 2.3)
        XCTAssertLessThan(last, 3.5)
        let dec = try runTool(["ffmpeg", "-v", "error", "-i", rec.path, "-f", "null", "-"])
        XCTAssertEqual(dec.status, 0, dec.err)
        XCTAssertEqual(dec.err, "")
    }

    func testRejectsUnknownCodecAndBadPackets() throws {
        XCTAssertThrowsError(try StreamRecording(basePath: dir.appendingPathComponent("x").path,
                                                 tracks: [RecordedTrack(kind: .video, codec: "AV1", clockRate: 90_000)])) {
            XCTAssertEqual($0 as? StreamRecordingError, .unsupportedCodec("AV1"))
        }
        XCTAssertThrowsError(try StreamRecording(basePath: dir.appendingPathComponent("x").path, tracks: [])) {
            XCTAssertEqual($0 as? StreamRecordingError, .noTracks)
        }
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("y").path,
                                      tracks: [RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000)])
        XCTAssertEqual([UInt8](repeating: 0, count: 5).withUnsafeBytes { rec.packet(track: 0, rtp: $0, arrival: 1) }, [])
        XCTAssertEqual([UInt8](repeating: 0x80, count: 20).withUnsafeBytes { rec.packet(track: 3, rtp: $0, arrival: 1) }, [])
        let s = try rec.finish()
        XCTAssertTrue(s.hasGaps, "malformed RTP counts as a gap")
        XCTAssertEqual(s.durationMs, 0)
        XCTAssertEqual(try rec.finish(), s)
    }
}

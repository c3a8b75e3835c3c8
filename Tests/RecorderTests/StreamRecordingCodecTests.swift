// StreamRecording with VP9 (WebM) and H.264 (Matroska): real ffmpeg-made
// frames, RTP-packetized, through the lossy network, then ffprobe/ffmpeg.
import Foundation
import Handoff
import XCTest
@testable import Recorder

final class StreamRecordingCodecTests: StreamRecordingTestCase {
    func testVP9AndOpusWithLossMakeAPlayableWebM() throws {
        var m = try media(seconds: 6, video: false)
        try MediaTools.makeIVF(dir.appendingPathComponent("v9.ivf").path, codec: "libvpx-vp9", seconds: 6)
        m.video = try MediaTools.readIVF(dir.appendingPathComponent("v9.ivf").path).frames
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("vp9").path, tracks: [
            RecordedTrack(kind: .video, codec: "VP9", clockRate: 90_000),
            RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000, channels: 2),
        ])
        var rng = TestRandom(seed: 9)
        let (_, lost) = record(rec, m, videoTrack: 0, audioTrack: 1, rng: &rng, loss: 0.05, packetize: RTPTestPacketizer.vp9)
        let s = try rec.finish()
        print("StreamRecording VP9+Opus: \(lost) lost, \(rec.trackStats), \(s)")
        XCTAssertEqual(s.format, "webm")
        XCTAssertEqual(try MediaTools.probe(s.path, "stream=codec_name,width,height", stream: "v"), "vp9,320,240")
        XCTAssertEqual(try MediaTools.duration(s.path), 6, accuracy: 0.5)
        try MediaTools.assertDecodesCleanly(s.path)
    }

    func testH264AndOpusWithLossMakeAPlayableMatroska() throws {
        var m = try media(seconds: 6, video: false)
        let raw = dir.appendingPathComponent("v.h264").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=6",
                                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-g", "30",
                                    "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-y", raw])
        XCTAssertEqual(r.status, 0, r.err)
        // Split the Annex B stream into access units (each keeps its start codes for the packetizer).
        let nals = AnnexB.nalUnits(Array(try Data(contentsOf: URL(fileURLWithPath: raw))))
        var units: [[UInt8]] = [], current: [UInt8] = [], hasSlice = false
        for nal in nals {
            let type = nal[0] & 0x1F
            if hasSlice && ([6, 7, 8, 9].contains(type) || ((type == 1 || type == 5) && nal[1] & 0x80 != 0)) {
                units.append(current); current = []; hasSlice = false
            }
            if type == 1 || type == 5 { hasSlice = true }
            current += [0, 0, 0, 1] + nal
        }
        units.append(current)
        XCTAssertEqual(units.count, 180)
        m.video = units.enumerated().map { (Int64($0.offset), $0.element) }
        let rec = try StreamRecording(basePath: dir.appendingPathComponent("h264").path, tracks: [
            RecordedTrack(kind: .video, codec: "H264", clockRate: 90_000),
            RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000, channels: 2),
        ])
        XCTAssertTrue(rec.path.hasSuffix("h264.mkv"))
        var rng = TestRandom(seed: 11)
        let (_, lost) = record(rec, m, videoTrack: 0, audioTrack: 1, rng: &rng, loss: 0.05, packetize: RTPTestPacketizer.h264)
        let s = try rec.finish()
        print("StreamRecording H.264+Opus: \(lost) lost, \(rec.trackStats), \(s)")
        XCTAssertEqual(s.format, "mkv")
        let header = try WebMReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: s.path))))
        XCTAssertEqual(header.docType, "matroska")
        XCTAssertEqual(header.tracks.first?.width, 320, "PixelWidth from the SPS")
        XCTAssertEqual(header.tracks.first?.height, 240)
        XCTAssertEqual(try MediaTools.probe(s.path, "stream=codec_name,width,height", stream: "v"), "h264,320,240")
        XCTAssertEqual(try MediaTools.duration(s.path), 6, accuracy: 0.5)
        try MediaTools.assertDecodesCleanly(s.path)
    }
}

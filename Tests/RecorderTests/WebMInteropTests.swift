// Independent readers: ffmpeg encodes VP8/VP9/H.264 video and Opus audio,
// the test pulls the frames out of IVF/Annex B/Ogg, WebMWriter muxes them,
// and ffprobe and ffmpeg must read and decode the result.
import Foundation
import XCTest
@testable import Recorder

final class WebMInteropTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try makeTempDirectory("webm") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Muxes `seconds` of ffmpeg-made video (codec "libvpx" or "libvpx-vp9") with Opus audio.
    func muxVideoAndAudio(codec: String, track: WebMTrack.Codec, seconds: Double, name: String,
                          finish: Bool = true, stopAtMs: Int64 = .max) throws -> (path: String, frames: Int, writer: WebMWriter) {
        try MediaTools.makeIVF(path("v.ivf"), codec: codec, seconds: seconds)
        try MediaTools.makeOpus(path("a.ogg"), seconds: seconds)
        let ivf = try MediaTools.readIVF(path("v.ivf"))
        let audio = try MediaTools.opusPackets(path("a.ogg"))
        XCTAssertEqual(ivf.width, 320)
        let isKey = track == .vp8 ? MediaTools.isVP8Keyframe : MediaTools.isVP9Keyframe
        XCTAssertTrue(isKey(ivf.frames[0].data))
        XCTAssertEqual(ivf.frames.filter { isKey($0.data) }.count, Int((seconds / 1.0).rounded(.up)), "a keyframe a second")

        let out = path(name)
        let sink = try WebMFileSink(path: out)
        let w = try WebMWriter(sink: sink, tracks: [.video(track, number: 1, width: ivf.width, height: ivf.height),
                                                    .opus(number: 2, channels: 1)])
        // Interleave by time: video pts are 1/30 s, audio packets 20 ms.
        var v = 0, a = 0
        while v < ivf.frames.count || a < audio.count {
            let vt = v < ivf.frames.count ? ivf.frames[v].pts * 1000 / 30 : .max
            let at = a < audio.count ? Int64(a) * 20 : .max
            if min(vt, at) >= stopAtMs { break }
            if vt <= at {
                try w.write(track: 1, timestampMs: vt, keyframe: isKey(ivf.frames[v].data), data: ivf.frames[v].data, durationMs: 33)
                v += 1
            } else {
                try w.write(track: 2, timestampMs: at, keyframe: true, data: audio[a], durationMs: 20)
                a += 1
            }
        }
        if finish { try w.finish() }
        return (out, ivf.frames.count, w)
    }

    func testVP8AndOpusWebMProbesAndDecodes() throws {
        let (out, frames, _) = try muxVideoAndAudio(codec: "libvpx", track: .vp8, seconds: 3, name: "vp8.webm")
        XCTAssertEqual(try MediaTools.probe(out, "stream=codec_name"), "vp8\nopus")
        XCTAssertEqual(try MediaTools.probe(out, "stream=width,height", stream: "v"), "320,240")
        let d = try MediaTools.duration(out)
        print("ffprobe: VP8+Opus WebM \(d) s, \(frames) video frames")
        XCTAssertEqual(d, 3.0, accuracy: 0.05)
        XCTAssertEqual(try MediaTools.probe(out, "format=format_name"), "\"matroska,webm\"")
        let counted = try runTool(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out])
        XCTAssertEqual(Int(counted.out.trimmingCharacters(in: .whitespacesAndNewlines)), frames)
        try MediaTools.assertDecodesCleanly(out)
        // Seeking uses the Cues: starting at 2 s decodes cleanly.
        let seek = try runTool(["ffmpeg", "-v", "error", "-ss", "2", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(seek.status, 0)
        XCTAssertEqual(seek.err, "")
    }

    func testVP9AndOpusWebMProbesAndDecodes() throws {
        let (out, _, _) = try muxVideoAndAudio(codec: "libvpx-vp9", track: .vp9, seconds: 3, name: "vp9.webm")
        XCTAssertEqual(try MediaTools.probe(out, "stream=codec_name"), "vp9\nopus")
        let d = try MediaTools.duration(out)
        print("ffprobe: VP9+Opus WebM \(d) s")
        XCTAssertEqual(d, 3.0, accuracy: 0.05)
        try MediaTools.assertDecodesCleanly(out)
    }

    func testCrashedWebMStillProbesUpToTheLastCluster() throws {
        // 2.5 s written, no finish(): the clusters up to the 2 s keyframe are on disk.
        let (out, _, w) = try muxVideoAndAudio(codec: "libvpx", track: .vp8, seconds: 3, name: "crash.webm",
                                               finish: false, stopAtMs: 2500)
        XCTAssertEqual(w.clustersWritten, 2)
        let packets = try runTool(["ffprobe", "-v", "error", "-count_packets", "-show_entries",
                                          "stream=codec_name,nb_read_packets", "-of", "csv=p=0", out])
        XCTAssertEqual(packets.status, 0, packets.err)
        print("ffprobe on an unfinished WebM: \(packets.out.split(separator: "\n"))")
        XCTAssertEqual(packets.out.split(separator: "\n"), ["vp8,60", "opus,100"])
        let r = try runTool(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
    }

    func testH264MatroskaProbesAndDecodes() throws {
        let raw = path("v.h264")
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=2",
                                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-g", "30", "-bsf:v", "h264_mp4toannexb",
                                    "-f", "h264", "-y", raw])
        XCTAssertEqual(r.status, 0, r.err)
        let access = AnnexB.accessUnits(Array(try Data(contentsOf: URL(fileURLWithPath: raw))))
        XCTAssertEqual(access.units.count, 60)
        let sps = try XCTUnwrap(access.sps), pps = try XCTUnwrap(access.pps)
        let avcC = try AVCDecoderConfiguration.record(sps: sps, pps: pps)
        let out = path("h264.mkv")
        let w = try WebMWriter(sink: try WebMFileSink(path: out), tracks: [.video(.h264, number: 1, width: 320, height: 240, codecPrivate: avcC)])
        for (i, unit) in access.units.enumerated() {
            try w.write(track: 1, timestampMs: Int64(i) * 1000 / 30, keyframe: unit.idr, data: unit.avcSample, durationMs: 33)
        }
        try w.finish()
        XCTAssertEqual(try MediaTools.probe(out, "stream=codec_name,width,height"), "h264,320,240")
        XCTAssertEqual(try MediaTools.probe(out, "format=format_name"), "\"matroska,webm\"")
        XCTAssertEqual(try MediaTools.duration(out), 2.0, accuracy: 0.05)
        try MediaTools.assertDecodesCleanly(out)
    }
}

/// Splits an H.264 Annex B stream (start codes) into access units of
/// length-prefixed NAL units, keeping the first SPS/PPS.
enum AnnexB {
    struct Unit { var avcSample: [UInt8] = []; var idr = false }

    static func nalUnits(_ b: [UInt8]) -> [[UInt8]] {
        var starts: [(Int, Int)] = []  // (start code offset, NAL offset)
        var i = 0
        while i + 3 <= b.count {
            if b[i] == 0, b[i + 1] == 0, b[i + 2] == 1 {
                starts.append((i > 0 && b[i - 1] == 0 ? i - 1 : i, i + 3))
                i += 3
            } else { i += 1 }
        }
        return starts.enumerated().map { n, s in
            Array(b[s.1..<(n + 1 < starts.count ? starts[n + 1].0 : b.count)])
        }
    }

    static func accessUnits(_ b: [UInt8]) -> (units: [Unit], sps: [UInt8]?, pps: [UInt8]?) {
        var units: [Unit] = []
        var current = Unit()
        var sps: [UInt8]?, pps: [UInt8]?
        var hasSlice = false
        for nal in nalUnits(b) {
            let type = nal[0] & 0x1F
            // A new access unit starts at an AUD/SPS/PPS/SEI after a slice, or at a slice with first_mb_in_slice 0.
            let startsUnit = hasSlice && ([6, 7, 8, 9].contains(type) || ((type == 1 || type == 5) && nal.count > 1 && nal[1] & 0x80 != 0))
            if startsUnit { units.append(current); current = Unit(); hasSlice = false }
            if type == 7 && sps == nil { sps = nal }
            if type == 8 && pps == nil { pps = nal }
            if type == 5 { current.idr = true }
            if type == 1 || type == 5 { hasSlice = true }
            let n = UInt32(nal.count)
            current.avcSample += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + nal
        }
        if hasSlice { units.append(current) }
        return (units, sps, pps)
    }
}

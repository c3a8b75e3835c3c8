// Post-processing of files as our own recorder writes them: WebMWriter
// output left unfinished (a crashed recording: unknown-size Segment, no
// Cues), with lost and corrupt audio packets, next to an audio-only Ogg
// stream from OggOpusWriter.
import Foundation
import XCTest
@testable import Recorder

final class RecordedInputsTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("recorded") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// 3 s of red VP8 (15 fps) and 440 Hz Opus; audio from 1.0 to 1.5 s is
    /// missing and the packet at 2.5 s is corrupt; never finished.
    func writeCrashedWebM() throws -> String {
        let path = dir.appendingPathComponent("a.webm").path
        let sink = try WebMFileSink(path: path)
        let opus = try OpusEncoder(channels: 2, bitrate: 48_000)
        let writer = try WebMWriter(sink: sink, tracks: [.video(.vp8, number: 1, width: 320, height: 180),
                                                         .opus(number: 2, channels: 2, preSkip: opus.lookahead)])
        let vp8 = try VP8Encoder(config: .init(width: 320, height: 180, fps: 15, bitrateKbps: 200, keyframeInterval: 15))
        var picture = I420Frame(width: 320, height: 180)
        picture.fill(y: 81, u: 90, v: 240)
        let tone = sine(440, samples: 48_000 * 3 + 960, channels: 2)
        var frame = 0
        for packet in 0..<150 {  // 20 ms audio packets; a video frame every 66.7 ms
            let t = Int64(packet * 20)
            while Int64(frame) * 1000 / 15 <= t, frame < 45 {
                try vp8.encode(picture, pts: Int64(frame)) { p in
                    try writer.write(track: 1, timestampMs: p.pts * 1000 / 15, keyframe: p.isKeyframe, data: p.data, durationMs: 66)
                }
                frame += 1
            }
            let pcm = Array(tone[(packet * 1920)..<((packet + 1) * 1920)])
            var data = try opus.encode(pcm)
            if (50..<75).contains(packet) { continue }      // lost
            if packet == 125 { data = [0xFB, 0x00] }        // code 3 with zero frames: libopus rejects it
            try writer.write(track: 2, timestampMs: t, keyframe: true, data: data, durationMs: 20)
        }
        try writer.flush()
        sink.close()  // no finish(): as if the process died
        return path
    }

    func writeOgg(_ hz: Double, seconds: Int) throws -> String {
        let path = dir.appendingPathComponent("b.ogg").path
        let sink = OggBufferSink()
        let enc = try OpusEncoder(channels: 1, bitrate: 32_000)
        var w = try OggOpusWriter(sink: sink, serial: 9, channels: 1, preSkip: enc.lookahead)
        let pcm = sine(hz, samples: 48_000 * seconds, channels: 1)
        for f in 0..<(pcm.count / 960) { try w.write(opusPacket: try enc.encode(Array(pcm[(f * 960)..<((f + 1) * 960)]))) }
        try w.finish()
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testCrashedWebMAndOggParticipants() throws {
        let a = try writeCrashedWebM()
        XCTAssertTrue(try WebMReader.read(Array(try Data(contentsOf: URL(fileURLWithPath: a))), allowTruncatedTail: true).cues.isEmpty)
        let b = try writeOgg(660, seconds: 2)
        let inputs = [MixInput(path: a, startOffsetMs: 0, label: "a"), MixInput(path: b, startOffsetMs: 1000, label: "b")]

        let mix = dir.appendingPathComponent("mix.ogg").path
        let audio = try PostProcessor.mixAudio(inputs, to: mix) { _ in }
        XCTAssertEqual(audio.durationMs, 3000, accuracy: 25)
        XCTAssertTrue(audio.hasGaps, "the corrupt packet was concealed")
        let raw = try runToolData(["ffmpeg", "-v", "error", "-i", mix, "-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        let pcm = firstChannel(raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, channels: 2)
        func w(_ from: Double, _ to: Double) -> ArraySlice<Float> { pcm[Int(from * 48_000)..<Int(to * 48_000)] }
        // 50 ms windows hold whole cycles of both tones.
        XCTAssertGreaterThan(goertzelPower(w(0.2, 0.8), frequency: 440), 1e-3)
        XCTAssertLessThan(goertzelPower(w(1.1, 1.45), frequency: 440), goertzelPower(w(1.1, 1.45), frequency: 660) / 100,
                          "a's lost stretch is silent; only b plays")
        XCTAssertGreaterThan(goertzelPower(w(1.6, 2.4), frequency: 440), 1e-3, "a resumes on time")
        XCTAssertGreaterThan(goertzelPower(w(1.6, 2.4), frequency: 660), 1e-3)

        let out = dir.appendingPathComponent("grid.webm").path
        let video = try PostProcessor.composeVideo(inputs, audio: mix, to: out, width: 320, height: 180, fps: 15) { _ in }
        XCTAssertEqual(video.durationMs, 3000, accuracy: 70)
        let r = try runTool(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(r.err, "", "ffmpeg -v error: \(r.err)")
        let frames = try runTool(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
                                  "stream=nb_read_frames", "-of", "csv=p=0", out])
        XCTAssertEqual(frames.out.trimmingCharacters(in: .whitespacesAndNewlines), "45")
        // One video participant (b is audio-only): red fills the canvas.
        let picture = try runToolData(["ffmpeg", "-v", "error", "-ss", "1.5", "-i", out, "-frames:v", "1",
                                       "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        let colour = picture.withUnsafeBytes { p -> (y: Double, u: Double, v: Double) in
            let base = p.bindMemory(to: UInt8.self).baseAddress!
            return I420View(width: 320, height: 180, y: base, u: base + 57_600, v: base + 72_000, yStride: 320, uvStride: 160)
                .averageYUV(x: 0, y: 0, width: 320, height: 180)
        }
        XCTAssertEqual(colour.v, 240, accuracy: 10)
        XCTAssertEqual(colour.u, 90, accuracy: 10)
    }
}

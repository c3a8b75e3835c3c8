// PostProcessor.mixAudio against real files: ffmpeg makes the inputs,
// ffprobe and ffmpeg judge the output, Goertzel filters find the tones.
import Foundation
import XCTest
@testable import Recorder

final class AudioMixTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try makeTempDirectory("mix") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A tone of `amplitude` (full scale 1) for `seconds`, encoded by ffmpeg.
    func tone(_ name: String, _ hz: Int, seconds: Double, amplitude: Double = 0.5, channels: Int = 1) throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi",
                             "-i", "aevalsrc=\(amplitude)*sin(2*PI*\(hz)*t):s=48000:d=\(seconds)",
                             "-ac", "\(channels)", "-c:a", "libopus", "-b:a", "48k", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
        return path
    }

    /// The mix decoded by ffmpeg to 48 kHz stereo float, left channel.
    func decodeLeft(_ path: String) throws -> [Float] {
        let raw = try runToolData(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        let floats = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return firstChannel(floats, channels: 2)
    }

    func window(_ pcm: [Float], _ from: Double, _ to: Double) -> ArraySlice<Float> {
        pcm[Int(from * 48_000)..<min(pcm.count, Int(to * 48_000))]
    }

    /// 440 Hz from 0 s for 4 s and 660 Hz from 2 s for 3 s: a 5 s mix with
    /// only 440 Hz before 2 s, both until 4 s, only 660 Hz after.
    func testTwoTonesAtTheirOffsets() throws {
        let a = try tone("a.ogg", 440, seconds: 4)
        let b = try tone("b.ogg", 660, seconds: 3, channels: 2)
        let out = dir.appendingPathComponent("mix.ogg").path
        var reports: [Double] = []
        let result = try PostProcessor.mixAudio([MixInput(path: a, startOffsetMs: 0, label: "a"),
                                         MixInput(path: b, startOffsetMs: 2000, label: "b")], to: out) { reports.append($0) }
        XCTAssertEqual(result.durationMs, 5000, accuracy: 1)
        XCTAssertEqual(result.format, "ogg")
        XCTAssertEqual(Int64((try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? -1), result.size)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".part"))
        XCTAssertEqual(reports.first, 0)
        XCTAssertEqual(reports.last, 1)
        XCTAssertEqual(reports, reports.sorted(), "progress never goes back")

        XCTAssertEqual(Double(try probe(out, "format=duration")) ?? 0, 5.0, accuracy: 0.03)
        XCTAssertEqual(try probe(out, "stream=codec_name,channels", stream: "a"), "opus,2")
        let r = try runTool(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.err, "", "ffmpeg -v error: \(r.err)")

        let pcm = try decodeLeft(out)
        XCTAssertEqual(Double(pcm.count) / 48_000, 5.0, accuracy: 0.03)
        let candidates: [Double] = [330, 440, 550, 660, 880]
        func power(_ w: ArraySlice<Float>, _ hz: Double) -> Double { goertzelPower(w, frequency: hz) }
        let early = window(pcm, 0.5, 1.5), both = window(pcm, 2.5, 3.5), late = window(pcm, 4.2, 4.9)
        XCTAssertEqual(dominantFrequency(early, among: candidates), 440)
        XCTAssertLessThan(power(early, 660), power(early, 440) / 300, "no 660 Hz before 2 s")
        XCTAssertGreaterThan(power(both, 440), power(both, 550) * 100)
        XCTAssertGreaterThan(power(both, 660), power(both, 550) * 100)
        // Mono input a reaches both channels at its level (libopus); ffmpeg
        // made stereo b from a mono source at −3 dB per channel: half the power.
        XCTAssertEqual(power(both, 440) / power(both, 660), 2, accuracy: 0.4)
        XCTAssertEqual(dominantFrequency(late, among: candidates), 660)
        XCTAssertLessThan(power(late, 440), power(late, 660) / 300, "no 440 Hz after 4 s")
        // The second input starts at 2.000 s, not a frame early or late: 50 ms
        // windows (whole cycles of both tones, so 440 Hz does not leak into
        // the 660 Hz filter) ending 5 ms before and starting 5 ms after.
        let before = window(pcm, 1.945, 1.995), after = window(pcm, 2.005, 2.055)
        XCTAssertLessThan(power(before, 660), power(after, 660) / 100)
        XCTAssertGreaterThan(power(after, 660), power(window(pcm, 3.0, 3.05), 660) / 2)
    }

    /// Two loud inputs (0.9 full scale each) sum to 1.8: the limiter keeps
    /// every decoded 16-bit sample below full scale, and the mix stays loud.
    func testLoudInputsDoNotClip() throws {
        let a = try tone("a.ogg", 440, seconds: 2, amplitude: 0.9)
        let b = try tone("b.ogg", 443, seconds: 2, amplitude: 0.9)
        let out = dir.appendingPathComponent("loud.ogg").path
        _ = try PostProcessor.mixAudio([MixInput(path: a, startOffsetMs: 0, label: "a"),
                                MixInput(path: b, startOffsetMs: 0, label: "b")], to: out) { _ in }
        let raw = try runToolData(["ffmpeg", "-v", "error", "-i", out, "-f", "s16le", "-ac", "2", "-"])
        let samples = raw.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        XCTAssertGreaterThan(samples.count, 2 * 48_000 * 2 - 2000)
        let peak = samples.map { Int(abs(Int32($0))) }.max() ?? 0
        XCTAssertLessThan(peak, 32_000, "clipped or nearly")
        XCTAssertGreaterThan(peak, 22_000, "the limiter should not squash the mix")
    }

    /// The Opus track of a WebM input (ffmpeg-made) mixes like an Ogg one,
    /// and a missing input is a specific error.
    func testWebMInputAndErrors() throws {
        let webm = dir.appendingPathComponent("v.webm").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*660*t):s=48000:d=2",
                             "-f", "lavfi", "-i", "color=c=red:s=64x48:d=2:r=5",
                             "-c:a", "libopus", "-c:v", "libvpx", "-y", webm])
        XCTAssertEqual(r.status, 0, r.err)
        let out = dir.appendingPathComponent("w.ogg").path
        let result = try PostProcessor.mixAudio([MixInput(path: webm, startOffsetMs: 500, label: "w")], to: out) { _ in }
        XCTAssertEqual(result.durationMs, 2500, accuracy: 25)
        let pcm = try decodeLeft(out)
        XCTAssertLessThan(window(pcm, 0, 0.45).map { abs($0) }.max() ?? 1, 0.01, "silent before the offset")
        XCTAssertEqual(dominantFrequency(window(pcm, 1, 2), among: [440, 660, 880]), 660)

        XCTAssertThrowsError(try PostProcessor.mixAudio([], to: out) { _ in }) {
            XCTAssertEqual($0 as? PostProcessingError, .noInputs)
        }
        let missing = dir.appendingPathComponent("none.ogg").path
        XCTAssertThrowsError(try PostProcessor.mixAudio([MixInput(path: missing, startOffsetMs: 0, label: "x")], to: out) { _ in }) {
            XCTAssertEqual($0 as? PostInputError, .unreadable(missing))
        }
        let junk = dir.appendingPathComponent("junk.ogg").path
        try Data("not an ogg file at all, just text".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try PostProcessor.mixAudio([MixInput(path: junk, startOffsetMs: 0, label: "x")], to: out) { _ in }) {
            guard case .malformed? = $0 as? PostInputError else { return XCTFail("\($0)") }
        }
    }

    /// lowerThreadPriority changes only the calling thread's nice value.
    func testLowerThreadPriorityAffectsOnlyThatThread() throws {
        let before = PostProcessor.threadNice()
        let done = expectation(description: "thread")
        final class Box: @unchecked Sendable { var ok = false; var nice: Int32 = 0 }
        let box = Box()
        let t = Thread {
            box.ok = PostProcessor.lowerThreadPriority(nice: 15)
            box.nice = PostProcessor.threadNice()
            done.fulfill()
        }
        t.start()
        wait(for: [done], timeout: 5)
        XCTAssertTrue(box.ok)
        XCTAssertEqual(box.nice, 15)
        XCTAssertEqual(PostProcessor.threadNice(), before)
    }
}

final class AudioGapTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("gap") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A recorder-style Ogg file: 1 s of 440 Hz, a 1 s gap written with
    /// OggOpusWriter.writeSilence (TOC-only packets), 1 s of 440 Hz. The mix
    /// is digital silence in the gap and the second tone lands at 2 s.
    func testRecorderGapStaysSilentAndOnTime() throws {
        let path = dir.appendingPathComponent("gap.ogg").path
        let sink = OggBufferSink()
        let enc = try OpusEncoder(channels: 1, bitrate: 32_000)
        var w = try OggOpusWriter(sink: sink, serial: 7, channels: 1, preSkip: enc.lookahead)
        // Feed the encoder's look-ahead first so the tone is aligned after pre-skip.
        let tone = sine(440, samples: 48_000 + enc.lookahead, channels: 1)
        let padded = tone + [Float](repeating: 0, count: 960 - (tone.count % 960))
        var packets = 0
        for f in 0..<(padded.count / 960) where packets < 50 {
            try w.write(opusPacket: try enc.encode(Array(padded[(f * 960)..<((f + 1) * 960)])))
            packets += 1
        }
        try w.writeSilence(samples: 48_000)
        let enc2 = try OpusEncoder(channels: 1, bitrate: 32_000)
        for f in 0..<(padded.count / 960) where packets < 100 {
            try w.write(opusPacket: try enc2.encode(Array(padded[(f * 960)..<((f + 1) * 960)])))
            packets += 1
        }
        try w.finish()
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))

        let out = dir.appendingPathComponent("mix.ogg").path
        let r = try PostProcessor.mixAudio([MixInput(path: path, startOffsetMs: 0, label: "g")], to: out) { _ in }
        XCTAssertEqual(r.durationMs, 3000)
        let raw = try runToolData(["ffmpeg", "-v", "error", "-i", out, "-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        let pcm = firstChannel(raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, channels: 2)
        XCTAssertEqual(Double(pcm.count) / 48_000, 3, accuracy: 0.02)
        XCTAssertLessThan(pcm[Int(1.05 * 48_000)..<Int(1.95 * 48_000)].map { abs($0) }.max()!, 0.001, "silent gap")
        XCTAssertEqual(dominantFrequency(pcm[Int(0.2 * 48_000)..<Int(0.8 * 48_000)], among: [220, 440, 880]), 440)
        XCTAssertEqual(dominantFrequency(pcm[Int(2.2 * 48_000)..<Int(2.8 * 48_000)], among: [220, 440, 880]), 440)
        // The second tone starts after 1 s of tone (of which the pre-skip was
        // dropped) and 1 s of gap: at 2 s − pre-skip, to the sample.
        let onset = (Int(1.9 * 48_000)..<Int(2.1 * 48_000)).first { abs(pcm[$0]) > 0.1 }!
        XCTAssertEqual(onset, 96_000 - enc.lookahead, accuracy: 24)
    }

    /// WebM Opus blocks with a 1 s hole in their timestamps (as a recording
    /// with a dropped stretch would have): silence in the hole, no drift.
    func testWebMTimestampHoleIsSilence() throws {
        // ffmpeg cuts a hole with aselect and keeps timestamps (no -af asetpts).
        let webm = dir.appendingPathComponent("hole.webm").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
                             "-af", "aselect='not(between(t,1,2))'", "-c:a", "libopus", "-frame_duration", "20", "-y", webm])
        XCTAssertEqual(r.status, 0, r.err)
        let out = dir.appendingPathComponent("mix.ogg").path
        let result = try PostProcessor.mixAudio([MixInput(path: webm, startOffsetMs: 0, label: "h")], to: out) { _ in }
        XCTAssertEqual(result.durationMs, 3000, accuracy: 30)
        let raw = try runToolData(["ffmpeg", "-v", "error", "-i", out, "-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        let pcm = firstChannel(raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, channels: 2)
        XCTAssertLessThan(pcm[Int(1.1 * 48_000)..<Int(1.9 * 48_000)].map { abs($0) }.max()!, 0.001, "silent hole")
        XCTAssertEqual(dominantFrequency(pcm[Int(2.2 * 48_000)..<Int(2.8 * 48_000)], among: [220, 440, 880]), 440)
        // ffmpeg timestamps the first packet after the hole itself (its
        // encoder delay and 1024-sample source frames put it near 2.04 s);
        // the mix plays it exactly there, as ffprobe reads the file.
        let times = try probe(webm, "packet=pts_time", stream: "a").split(separator: "\n").compactMap { Double($0) }
        let resume = try XCTUnwrap(times.first { $0 > 1.5 })
        let onset = (Int(1.9 * 48_000)..<Int(2.2 * 48_000)).first { abs(pcm[$0]) > 0.05 }!
        XCTAssertEqual(Double(onset) / 48_000, resume, accuracy: 0.003)
    }
}

// StreamRecording end to end: real VP8 and Opus frames (made by ffmpeg)
// packetized into RTP, sent through a lossy, reordering, duplicating
// simulated network, recorded, then read by ffprobe/ffmpeg and WebMReader.
import Foundation
import XCTest
import RTP
@testable import Recorder

final class StreamRecordingTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try MediaTools.tempDir("rec") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    let start: UInt64 = 5_000_000_000  // CLOCK_MONOTONIC ns of the first send
    let ntpBase = NTPTimestamp(unixMicroseconds: 1_764_000_000_000_000)

    struct Media {
        var video: [(pts: Int64, data: [UInt8])] = []
        var audio: [[UInt8]] = []
    }

    func media(seconds: Double, video: Bool) throws -> Media {
        var m = Media()
        if video {
            try MediaTools.makeIVF(dir.appendingPathComponent("v.ivf").path, codec: "libvpx", seconds: seconds)
            m.video = try MediaTools.readIVF(dir.appendingPathComponent("v.ivf").path).frames
        }
        try MediaTools.makeOpus(dir.appendingPathComponent("a.ogg").path, seconds: seconds, channels: 2)
        m.audio = try MediaTools.opusPackets(dir.appendingPathComponent("a.ogg").path)
        return m
    }

    /// Packetizes, simulates the network, feeds the recording with ticks every 100 ms
    /// and sender reports every second; returns the keyframe requests seen.
    func record(_ rec: StreamRecording, _ m: Media, videoTrack: Int?, audioTrack: Int, rng: inout TestRandom,
                loss: Double, extraDelayMs: [Int: Double] = [:], videoFromMs: Double = 0,
                crashAtMs: Double? = nil) -> (requests: Int, lost: Int) {
        let vBase: UInt32 = 0xFFFF_0000, aBase: UInt32 = 0xFFFF_F000  // both wrap 2^32 during the call
        var vSeq: UInt16 = 65_000, aSeq: UInt16 = 65_500
        var sent: [(track: Int, bytes: [UInt8], sendMs: Double)] = []
        if let videoTrack {
            for f in m.video where Double(f.pts) * 1000 / 30 >= videoFromMs {
                for p in RTPTestPacketizer.vp8(f.data, seq: &vSeq, ts: vBase &+ UInt32(f.pts * 3000), ssrc: 0x1111) {
                    sent.append((videoTrack, p, Double(f.pts) * 1000 / 30))
                }
            }
        }
        for (i, p) in m.audio.enumerated() {
            sent.append((audioTrack, RTPTestPacketizer.opus(p, seq: &aSeq, ts: aBase &+ UInt32(i * 960), ssrc: 0x2222), Double(i) * 20))
        }
        let (packets, lost) = RTPTestPacketizer.network(sent, rng: &rng, loss: loss, late: 0.03, duplicate: 0.02,
                                                        extraDelayMs: extraDelayMs, start: start)
        var requests = 0
        var nextTick = start
        var nextReport = start
        for p in packets {
            if let crashAtMs, p.arrival >= start + UInt64(crashAtMs * 1_000_000) { return (requests, lost) }
            while nextTick <= p.arrival {
                requests += rec.tick(now: nextTick).count
                nextTick += 100_000_000
            }
            if nextReport <= p.arrival {
                // Sender reports: the publisher's wall clock for the media time of "now" on each track.
                let mediaMs = Double(nextReport - start) / 1_000_000
                let ntp = NTPTimestamp(unixMicroseconds: ntpBase.unixMicroseconds + Int64(mediaMs * 1000)).raw
                if let videoTrack { rec.senderReport(track: videoTrack, ntp: ntp, rtpTimestamp: vBase &+ UInt32(mediaMs * 90), arrival: p.arrival) }
                rec.senderReport(track: audioTrack, ntp: ntp, rtpTimestamp: aBase &+ UInt32(mediaMs * 48), arrival: p.arrival)
                nextReport += 1_000_000_000
            }
            requests += p.bytes.withUnsafeBytes { rec.packet(track: p.track, rtp: $0, arrival: p.arrival) }.count
        }
        requests += rec.tick(now: nextTick + 500_000_000).count
        return (requests, lost)
    }

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
        let r = try MediaTools.run(["ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", rec.path])
        XCTAssertEqual(r.status, 0, r.err)
        let last = r.out.split(separator: "\n").compactMap { Double($0) }.max() ?? 0
        print("ffprobe: unfinished 4 s recording has packets up to \(last) s")
        XCTAssertGreaterThan(last, 2.3)
        XCTAssertLessThan(last, 3.5)
        let dec = try MediaTools.run(["ffmpeg", "-v", "error", "-i", rec.path, "-f", "null", "-"])
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

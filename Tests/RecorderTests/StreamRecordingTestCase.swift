// The harness of the StreamRecording tests: real frames made by ffmpeg,
// packetized into RTP, sent through a lossy, reordering, duplicating
// simulated network with sender reports and ticks, into a recording.
import Foundation
import XCTest
import RTP
@testable import Recorder

/// Shared set-up of the StreamRecording tests (no tests of its own).
class StreamRecordingTestCase: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTempDirectory("rec") }
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
                crashAtMs: Double? = nil,
                packetize: ([UInt8], inout UInt16, UInt32, UInt32) -> [[UInt8]] = RTPTestPacketizer.vp8) -> (requests: Int, lost: Int) {
        let vBase: UInt32 = 0xFFFF_0000, aBase: UInt32 = 0xFFFF_F000  // both wrap 2^32 during the call
        var vSeq: UInt16 = 65_000, aSeq: UInt16 = 65_500
        var sent: [(track: Int, bytes: [UInt8], sendMs: Double)] = []
        if let videoTrack {
            for f in m.video where Double(f.pts) * 1000 / 30 >= videoFromMs {
                for p in packetize(f.data, &vSeq, vBase &+ UInt32(f.pts * 3000), 0x1111) {
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
}

// libopus and libvpx through the Swift wrappers: what goes in comes out.
import XCTest
@testable import Recorder

final class OpusCodecTests: XCTestCase {
    /// A 440 Hz tone encoded at 64 kbit/s stereo and decoded again is still
    /// dominated by 440 Hz (against 330/660/880/1000 Hz), with similar power.
    func testToneSurvivesStereoRoundTrip() throws {
        let enc = try OpusEncoder(channels: 2, bitrate: 64_000)
        let dec = try OpusDecoder(channels: 2)
        XCTAssertGreaterThan(enc.lookahead, 0)
        XCTAssertLessThan(enc.lookahead, 960)
        let input = sine(440, samples: 960 * 50, channels: 2)
        var output = [Float]()
        for f in 0..<50 {
            let packet = try enc.encode(Array(input[(f * 1920)..<((f + 1) * 1920)]))
            XCTAssertEqual(OpusPacket.sampleCount(packet), 960)
            XCTAssertLessThan(packet.count, 400)
            output += try dec.decode(packet)
        }
        XCTAssertEqual(output.count, input.count)
        let left = firstChannel(output, channels: 2)[9600...]  // skip the codec's start-up
        let candidates: [Double] = [330, 440, 660, 880, 1000]
        XCTAssertEqual(dominantFrequency(left, among: candidates), 440)
        let pIn = goertzelPower(firstChannel(input, channels: 2)[9600...], frequency: 440)
        let pOut = goertzelPower(left, frequency: 440)
        XCTAssertEqual(pOut / pIn, 1, accuracy: 0.3)
    }

    /// Packet loss concealment (nil packet) yields the asked-for length and
    /// continues the tone instead of a click to zero.
    func testConcealmentFillsTheGap() throws {
        let enc = try OpusEncoder(channels: 1, bitrate: 32_000, fec: true, expectedLossPercent: 10)
        let dec = try OpusDecoder(channels: 1)
        let input = sine(440, samples: 960 * 20, channels: 1)
        var packets: [[UInt8]] = []
        for f in 0..<20 { packets.append(try enc.encode(Array(input[(f * 960)..<((f + 1) * 960)]))) }
        for p in packets[0..<10] { _ = try dec.decode(p) }
        let concealed = try dec.decode(nil, lostSamples: 960)
        XCTAssertEqual(concealed.count, 960)
        XCTAssertGreaterThan(concealed.map { abs($0) }.max()!, 0.05, "PLC continues the signal")
        // FEC: packet 12 carries a redundant copy of packet 11.
        var pcm = [Float](repeating: 0, count: OpusDecoder.maxFrameSamples)
        let n = try packets[12].withUnsafeBytes { p in
            try pcm.withUnsafeMutableBufferPointer { try dec.decode(p, into: $0, lostSamples: 960, fec: true) }
        }
        XCTAssertEqual(n, 960)
        XCTAssertEqual(dominantFrequency(pcm[0..<960], among: [220, 440, 880]), 440)
    }

    func testCorruptPacketIsAnError() throws {
        let dec = try OpusDecoder(channels: 2)
        // Code 3 (M frames) with a frame count of 0 is invalid (RFC 6716 §3.2.5).
        XCTAssertThrowsError(try dec.decode([0xFB, 0x00])) { error in
            XCTAssertEqual((error as? OpusCodecError)?.code, -4)  // OPUS_INVALID_PACKET
        }
    }
}

final class VPXCodecTests: XCTestCase {
    func frame(width: Int, height: Int, luma: UInt8) -> I420Frame {
        var f = I420Frame(width: width, height: height)
        f.fill(y: luma, u: 128, v: 128)
        return f
    }

    /// Flat grey pictures of three brightnesses keep their average luma
    /// through VP8 encode → decode, with a keyframe first and then every
    /// `keyframeInterval` frames at most.
    func testAverageLumaSurvivesVP8RoundTrip() throws {
        for deadline in [VP8Encoder.Deadline.realtime, .good] {
            let enc = try VP8Encoder(config: .init(width: 320, height: 180, fps: 15, bitrateKbps: 300,
                                                   keyframeInterval: 10, deadline: deadline))
            let dec = try VPXDecoder(codec: .vp8)
            var lumas: [Double] = []
            var keyframes: [Int64] = []
            for i in 0..<30 {
                let level: UInt8 = i < 10 ? 40 : i < 20 ? 128 : 220
                try enc.encode(frame(width: 320, height: 180, luma: level), pts: Int64(i)) { pkt in
                    if pkt.isKeyframe { keyframes.append(pkt.pts) }
                    try dec.decode(pkt.data)
                    while let img = dec.nextFrame() {
                        XCTAssertEqual(img.width, 320)
                        XCTAssertEqual(img.height, 180)
                        lumas.append(img.averageLuma())
                    }
                }
            }
            try enc.flush { _ in }
            XCTAssertEqual(lumas.count, 30)
            XCTAssertEqual(keyframes.first, 0)
            XCTAssertTrue(zip(keyframes, keyframes.dropFirst()).allSatisfy { $1 - $0 <= 10 }, "\(keyframes)")
            // Allow the rate control a few frames to converge after each step.
            XCTAssertEqual(lumas[8], 40, accuracy: 3)
            XCTAssertEqual(lumas[18], 128, accuracy: 3)
            XCTAssertEqual(lumas[29], 220, accuracy: 3)
        }
    }

    /// ffmpeg's libvpx-vp9 output decodes with VPXDecoder(.vp9): a grey
    /// testsrc-free solid colour keeps its luma. The frames come from IVF.
    func testDecodesFFmpegVP9() throws {
        let dir = try makeTempDirectory("vp9")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ivf = dir.appendingPathComponent("g.ivf").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0x808080:s=160x96:d=0.5:r=10",
                             "-c:v", "libvpx-vp9", "-deadline", "realtime", "-y", ivf])
        XCTAssertEqual(r.status, 0, r.err)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: ivf)))
        let dec = try VPXDecoder(codec: .vp9)
        var offset = 32  // IVF file header
        var frames = 0
        while offset + 12 <= bytes.count {
            let size = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            offset += 12
            try dec.decode(Array(bytes[offset..<(offset + size)]))
            offset += size
            while let img = dec.nextFrame() {
                frames += 1
                XCTAssertEqual(img.width, 160)
                XCTAssertEqual(img.averageLuma(), 128, accuracy: 4)  // 0x80 full range ≈ 126 limited
            }
        }
        XCTAssertEqual(frames, 5)
    }

    func testGarbageIsAnError() throws {
        let dec = try VPXDecoder(codec: .vp8)
        XCTAssertThrowsError(try dec.decode([UInt8](repeating: 0xAB, count: 64)))
    }
}

// Robustness: thousands of corrupted variants of valid files (flipped bytes,
// cuts, inserted garbage) must make the readers throw a specific error or
// return, never crash or hang.
import Handoff
import XCTest
@testable import Recorder

final class ReaderMutationTests: XCTestCase {
    func mutate(_ good: [UInt8], _ rng: inout TestRandom) -> [UInt8] {
        var b = good
        switch rng.next() % 4 {
        case 0:
            for _ in 0..<(1 + Int(rng.next() % 4)) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
        case 1:
            b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
        case 2:
            let at = Int(rng.next() % UInt64(b.count))
            b.insert(contentsOf: (0..<(1 + Int(rng.next() % 9))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        default:
            // Size fields are the interesting part: set a byte to an extreme VINT marker.
            b[Int(rng.next() % UInt64(b.count))] = [0x01, 0xFF, 0x00, 0x80][Int(rng.next() % 4)]
        }
        return b
    }

    func testWebMReaderSurvivesCorruption() throws {
        let sink = WebMBufferSink()
        let w = try WebMWriter(sink: sink, tracks: [.video(.vp8, number: 1, width: 64, height: 48), .opus(number: 2, channels: 1)])
        for i in 0..<60 {
            try w.write(track: 1 + i % 2, timestampMs: Int64(i) * 20, keyframe: i % 20 == 0, data: [UInt8](repeating: UInt8(i), count: 30))
        }
        try w.finish()
        var rng = TestRandom(seed: 1234)
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            let bad = mutate(sink.bytes, &rng)
            for lenient in [false, true] {
                do {
                    let f = try WebMReader.read(bad, allowTruncatedTail: lenient)
                    XCTAssertLessThanOrEqual(f.blocks.count, 60 + 10)
                    outcomes["ok", default: 0] += 1
                } catch {
                    outcomes[String("\(error)".prefix { $0 != "(" }), default: 0] += 1
                }
            }
        }
        print("WebMReader on 6000 corrupted reads: \(outcomes.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(outcomes.count, 4, "several distinct errors")
    }

    func testOggReaderSurvivesCorruption() throws {
        let sink = OggBufferSink()
        var w = try OggOpusWriter(sink: sink, serial: 7, channels: 1, flushInterval: 960 * 3)
        for i in 0..<20 { try w.write(opusPacket: [0xF8] + [UInt8](repeating: UInt8(i), count: 20 * i)) }
        try w.finish()
        var rng = TestRandom(seed: 99)
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            let bad = mutate(sink.bytes, &rng)
            do {
                _ = try OggReader.packets(bad, allowTruncatedTail: rng.next() % 2 == 0)
                outcomes["ok", default: 0] += 1
            } catch {
                outcomes[String("\(error)".prefix { $0 != "(" }), default: 0] += 1
            }
        }
        print("OggReader on 3000 corrupted reads: \(outcomes.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(outcomes["badCRC", default: 0], 100, "flipped bytes are caught by the CRC")
    }

    func testRecordingSurvivesGarbageRTP() throws {
        let dir = try makeTempDirectory("garbage")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = TestRandom(seed: 5)
        for codec in ["VP8", "VP9", "H264"] {
            let rec = try StreamRecording(basePath: dir.appendingPathComponent(codec).path, tracks: [
                RecordedTrack(kind: .video, codec: codec, clockRate: 90_000),
                RecordedTrack(kind: .audio, codec: "opus", clockRate: 48_000),
            ])
            for i in 0..<3000 {
                let track = Int(rng.next() % 2)
                // A valid RTP header (so the payload reaches the depacketizer), then random payload bytes.
                var p = RTPTestPacketizer.header(pt: 96, marker: rng.next() % 3 == 0, seq: UInt16(i & 0xFFFF),
                                                 ts: UInt32(i / 3) * 3000, ssrc: 1 + UInt32(rng.next() % 2) * UInt32(i / 1000))
                p += (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = p.withUnsafeBytes { rec.packet(track: track, rtp: $0, arrival: UInt64(i) * 5_000_000) }
                if i % 20 == 0 { _ = rec.tick(now: UInt64(i) * 5_000_000) }
            }
            let s = try rec.finish()
            XCTAssertTrue(s.hasGaps)
            XCTAssertGreaterThan(s.size, 0)
            print("garbage \(codec): \(rec.trackStats.map(\.malformed)) malformed, file \(s.size) bytes")
        }
    }
}

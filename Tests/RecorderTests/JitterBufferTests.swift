// Table tests of the jitter buffer: reorder, duplicates, loss with late
// arrival inside and after the wait, wraps, SSRC change, DTX, keyframe gating.
import XCTest
@testable import Recorder

private let ms: UInt64 = 1_000_000

final class JitterBufferTests: XCTestCase {
    typealias Audio = JitterBuffer<OpusDepacketizer>
    typealias Video = JitterBuffer<VP8Depacketizer>

    func audio() -> Audio { Audio(.init(isAudio: true, clockRate: 48_000), depacketizer: OpusDepacketizer()) }
    func video() -> Video { Video(.init(isAudio: false, clockRate: 90_000), depacketizer: VP8Depacketizer()) }

    /// A 20 ms Opus packet (TOC config 31, code 0) tagged with its sequence number.
    func opus(_ seq: UInt16) -> [UInt8] { [0xF8, UInt8(truncatingIfNeeded: seq)] }

    /// Inserts (seq, timestamp, arrival ms) rows into an audio buffer.
    func feed(_ jb: inout Audio, _ rows: [(UInt16, UInt32, UInt64)], ssrc: UInt32 = 1) -> [JitterBufferEvent] {
        rows.flatMap { jb.insert(ssrc: ssrc, sequence: $0.0, timestamp: $0.1, marker: false, payload: opus($0.0), arrival: $0.2 * ms) }
    }

    func frames(_ events: [JitterBufferEvent]) -> [[UInt8]] {
        events.compactMap { if case .frame(let f) = $0 { f.data } else { nil } }
    }

    func testStartHoldsThenReleasesReorderedInOrder() {
        var jb = audio()
        XCTAssertEqual(feed(&jb, [(11, 1920, 0), (10, 960, 5), (13, 3840, 10)]), [], "held for 150 ms at start")
        let e = feed(&jb, [(12, 2880, 20)]) + jb.poll(now: 150 * ms)
        XCTAssertEqual(frames(e), [opus(10), opus(11), opus(12), opus(13)])
        XCTAssertEqual(e.filter { if case .gap = $0 { true } else { false } }.count, 0)
    }

    func testDuplicatesAreDropped() {
        var jb = audio()
        let e = feed(&jb, [(1, 960, 0), (2, 1920, 1), (2, 1920, 2), (1, 960, 3)]) + jb.poll(now: 200 * ms)
            + feed(&jb, [(2, 1920, 210), (3, 2880, 220)])
        XCTAssertEqual(frames(e), [opus(1), opus(2), opus(3)])
        XCTAssertEqual(jb.stats.duplicates, 2)
        XCTAssertEqual(jb.stats.late, 1, "seq 2 after its release")
    }

    func testLateArrivalWithinTheWaitFillsTheHole() {
        var jb = audio()
        _ = jb.poll(now: 0)
        var e = feed(&jb, [(1, 960, 0)]) + jb.poll(now: 150 * ms)
        e += feed(&jb, [(2, 1920, 160), (4, 3840, 200), (5, 4800, 220)])
        XCTAssertEqual(frames(e), [opus(1), opus(2)])
        e = feed(&jb, [(3, 2880, 300)])  // 100 ms after seq 4 arrived: NACK recovered it in time
        XCTAssertEqual(frames(e), [opus(3), opus(4), opus(5)])
        XCTAssertEqual(jb.stats.lost, 0)
        XCTAssertFalse(jb.hasGaps)
    }

    func testLossAfterTheWaitBecomesAGapThenTheLatePacketIsDropped() {
        var jb = audio()
        var e = feed(&jb, [(1, 960, 0), (2, 1920, 10)]) + jb.poll(now: 150 * ms)
        e += feed(&jb, [(4, 3840, 200)])
        XCTAssertEqual(jb.poll(now: 349 * ms), [], "still waiting for seq 3")
        e = jb.poll(now: 350 * ms)
        XCTAssertEqual(e.count, 2)
        XCTAssertEqual(e.first, .gap(ticks: 960, lost: true))
        XCTAssertEqual(frames(e), [opus(4)])
        XCTAssertEqual(feed(&jb, [(3, 2880, 400)]), [])
        XCTAssertEqual(jb.stats.lost, 1)
        XCTAssertEqual(jb.stats.late, 1)
        XCTAssertTrue(jb.hasGaps)
    }

    func testSequenceAndTimestampWrap() {
        var jb = audio()
        let ts0: UInt32 = 0xFFFF_FFFF - 960 * 2 + 1  // the third packet's timestamp wraps to 0
        let rows: [(UInt16, UInt32, UInt64)] = [(65534, ts0, 0), (0, ts0 &+ 1920, 1), (65535, ts0 &+ 960, 2), (1, ts0 &+ 2880, 3)]
        let e = feed(&jb, rows) + jb.poll(now: 150 * ms)
        XCTAssertEqual(frames(e), [opus(65534), opus(65535), opus(0), opus(1)])
        let stamps = e.compactMap { if case .frame(let f) = $0 { f.timestamp } else { nil } }
        XCTAssertEqual(stamps, [Int64(ts0), Int64(ts0) + 960, Int64(ts0) + 1920, Int64(ts0) + 2880])
        XCTAssertGreaterThan(stamps[2], Int64(UInt32.max), "extended past 2^32")
    }

    func testSSRCChangeContinuesTheTimelineByArrivalTime() {
        var jb = audio()
        var e = feed(&jb, [(100, 5000, 0), (101, 5960, 20)]) + jb.poll(now: 150 * ms)
        XCTAssertEqual(frames(e).count, 2)
        // A new SSRC, unrelated numbers, 1 s after the last packet.
        e = feed(&jb, [(7, 777_777, 1020), (8, 778_737, 1040)], ssrc: 2) + jb.poll(now: 1200 * ms)
        let stamps = e.compactMap { if case .frame(let f) = $0 { f.timestamp } else { nil } }
        XCTAssertEqual(stamps, [5960 + 48_000, 5960 + 48_000 + 960], "previous last ts + 1 s of ticks")
        XCTAssertEqual(e.first, .gap(ticks: 48_000 - 960, lost: true))
        XCTAssertEqual(jb.stats.resyncs, 1)
    }

    func testDTXJumpIsAGapWithoutLoss() {
        var jb = audio()
        let e = feed(&jb, [(1, 960, 0), (2, 1920, 20), (3, 1920 + 48_000, 1020)]) + jb.poll(now: 1200 * ms)
        XCTAssertEqual(e, [
            .frame(JitterFrame(data: opus(1), timestamp: 960, durationTicks: 960, keyframe: true, arrival: 0, rtpTimestamp: 960)),
            .frame(JitterFrame(data: opus(2), timestamp: 1920, durationTicks: 960, keyframe: true, arrival: 20 * ms, rtpTimestamp: 1920)),
            .gap(ticks: 48_000 - 960, lost: false),
            .frame(JitterFrame(data: opus(3), timestamp: 1920 + 48_000, durationTicks: 960, keyframe: true, arrival: 1020 * ms, rtpTimestamp: 1920 + 48_000)),
        ])
        XCTAssertFalse(jb.hasGaps)
    }

    func testTimestampJumpContradictedByArrivalFollowsArrival() {
        var jb = audio()
        // Seq continues but the timestamp leaps 1 hour ahead, 20 ms after the previous packet.
        let e = feed(&jb, [(1, 960, 0), (2, 1920, 20), (3, 1920 + 3600 * 48_000, 40), (4, 1920 + 3600 * 48_000 + 960, 60)])
            + jb.poll(now: 300 * ms)
        let stamps = e.compactMap { if case .frame(let f) = $0 { f.timestamp } else { nil } }
        XCTAssertEqual(stamps, [960, 1920, 2880, 3840])
        XCTAssertEqual(e.count, 4, "no hour of silence")
        XCTAssertEqual(jb.stats.resyncs, 1)
    }

    func testSequenceJumpBeyondDropoutIsARestart() {
        var jb = audio()
        _ = feed(&jb, [(1, 960, 0)]) + jb.poll(now: 150 * ms)
        let e = feed(&jb, [(9000, 500_000, 160)]) + jb.poll(now: 400 * ms)
        XCTAssertEqual(frames(e), [opus(9000)])
        XCTAssertEqual(jb.stats.resyncs, 1)
        XCTAssertEqual(jb.stats.lost, 0)
    }

    // MARK: video

    let key: [UInt8] = [0x10, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]  // S=1 PID=0, keyframe 320×240
    func delta(_ n: UInt8) -> [UInt8] { [0x10, 0x01, n] }
    /// The frames without their 1-byte payload descriptor.
    var keyFrame: [UInt8] { Array(key.dropFirst()) }
    func deltaFrame(_ n: UInt8) -> [UInt8] { [0x01, n] }

    func testVideoWaitsForAKeyframeAndThrottlesRequests() {
        var jb = video()
        func put(_ seq: UInt16, _ payload: [UInt8], _ t: UInt64) -> [JitterBufferEvent] {
            jb.insert(ssrc: 5, sequence: seq, timestamp: UInt32(seq) * 3000, marker: true, payload: payload, arrival: t * ms)
        }
        // Joining mid-stream: delta frames are dropped, a keyframe is requested once.
        var e = put(1, delta(1), 0) + put(2, delta(2), 33) + jb.poll(now: 200 * ms)
        XCTAssertEqual(e, [.requestKeyframe])
        e = put(3, key, 240) + put(4, delta(4), 270)
        XCTAssertEqual(frames(e), [keyFrame, deltaFrame(4)])
        let first = e.compactMap { if case .frame(let f) = $0 { f } else { nil } }.first
        XCTAssertEqual(first?.width, 320)
        XCTAssertEqual(first?.keyframe, true)
        // Seq 5 is lost: after the wait, delta 6 is dropped and a keyframe requested.
        e = put(6, delta(6), 530) + jb.poll(now: 679 * ms)
        XCTAssertEqual(e, [], "still waiting for seq 5")
        e = jb.poll(now: 680 * ms)
        XCTAssertEqual(e, [.requestKeyframe])
        e = put(7, delta(7), 700) + jb.poll(now: 900 * ms)
        XCTAssertEqual(e, [], "throttled: the last request was 220 ms ago")
        XCTAssertEqual(jb.poll(now: 1180 * ms), [.requestKeyframe], "repeated after 500 ms")
        e = put(8, key, 1300)
        XCTAssertEqual(frames(e), [keyFrame])
        XCTAssertEqual(jb.poll(now: 2000 * ms), [])
        XCTAssertEqual(jb.stats.framesDroppedWaitingForKeyframe, 4)
        XCTAssertEqual(jb.stats.lost, 1)
        XCTAssertTrue(jb.hasGaps)
    }

    func testDrainReleasesEverythingHeld() {
        var jb = audio()
        _ = feed(&jb, [(1, 960, 0), (3, 2880, 5)])
        let e = jb.drain()
        XCTAssertEqual(e.count, 3)
        XCTAssertEqual(frames(e), [opus(1), opus(3)])
        XCTAssertEqual(e[1], .gap(ticks: 960, lost: true))
    }
}

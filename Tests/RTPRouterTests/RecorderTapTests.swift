import CAllocCounter
import Foundation
import Handoff
import XCTest
@testable import RTPRouter

/// The recorder tap's SPSC ring: order, wrap-around, overflow accounting,
/// two threads at full speed, and no allocation on the worker's side.
final class RecorderTapTests: XCTestCase {
    /// A 12-byte RTP header with `seq`, followed by `extra` bytes of `seq & 0xff`.
    func packet(_ seq: UInt16, extra: Int = 20) -> [UInt8] {
        var p: [UInt8] = [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd]
        p += [UInt8](repeating: UInt8(seq & 0xff), count: extra)
        return p
    }

    func seqs(_ tap: RecorderTap) -> [UInt16] {
        var out: [UInt16] = []
        tap.drain { e in out.append(UInt16(e.bytes[2]) << 8 | UInt16(e.bytes[3])) }
        return out
    }

    func testEntriesComeOutInOrderWithTheirMetadata() {
        let tap = RecorderTap(slotCount: 8)
        XCTAssertEqual(tap.capacity, 8)
        for i in 0..<5 {
            let p = packet(UInt16(i), extra: i * 100)
            XCTAssertTrue(p.withUnsafeBytes { tap.push(track: i % 2, rtp: $0.baseAddress!, length: $0.count, arrival: UInt64(1000 + i)) })
        }
        XCTAssertTrue(tap.pushSenderReport(track: 1, ntp: 0x1122_3344_5566_7788, rtpTimestamp: 0xdead_beef, arrival: 2000))
        XCTAssertEqual(tap.count, 6)
        var entries: [(TapEntryKind, Int, UInt64, Int, [UInt8])] = []
        tap.drain { entries.append(($0.kind, $0.track, $0.arrival, $0.droppedBefore, Array($0.bytes))) }
        XCTAssertEqual(entries.count, 6)
        for i in 0..<5 {
            XCTAssertEqual(entries[i].0, .rtp)
            XCTAssertEqual(entries[i].1, i % 2)
            XCTAssertEqual(entries[i].2, UInt64(1000 + i))
            XCTAssertEqual(entries[i].3, 0)
            XCTAssertEqual(entries[i].4, packet(UInt16(i), extra: i * 100))
        }
        XCTAssertEqual(entries[5].0, .senderReport)
        XCTAssertEqual(entries[5].1, 1)
        var sr: (UInt64, UInt32) = (0, 0)
        tap.pushSenderReport(track: 0, ntp: 42, rtpTimestamp: 7, arrival: 1)
        tap.drain { sr = ($0.ntp, $0.rtpTimestamp) }
        XCTAssertEqual(sr.0, 42)
        XCTAssertEqual(sr.1, 7)
        XCTAssertEqual(tap.count, 0)
        XCTAssertEqual(tap.dropped, 0)
    }

    func testSlotCountRoundsUpToAPowerOfTwo() {
        XCTAssertEqual(RecorderTap(slotCount: 1000).capacity, 1024)
        XCTAssertEqual(RecorderTap(slotCount: 1).capacity, 2)
    }

    func testWrapsAroundManyTimesKeepingOrder() {
        let tap = RecorderTap(slotCount: 4)
        var seen: [UInt16] = []
        var seq: UInt16 = 65_500 // sequence numbers wrap too, irrelevant to the ring
        for round in 0..<50 {
            for _ in 0..<(1 + round % 4) {
                let p = packet(seq)
                XCTAssertTrue(p.withUnsafeBytes { tap.push(track: 0, rtp: $0.baseAddress!, length: $0.count, arrival: 0) })
                seq &+= 1
            }
            seen += seqs(tap)
        }
        XCTAssertEqual(seen.count, 123)
        for (i, s) in seen.enumerated() { XCTAssertEqual(s, UInt16(truncatingIfNeeded: 65_500 + i)) }
    }

    func testOverflowDropsCountsAndReportsTheGapOnTheNextPacketOfThatTrack() {
        let tap = RecorderTap(slotCount: 4)
        var accepted = 0
        for i in 0..<10 {
            let p = packet(UInt16(i))
            if p.withUnsafeBytes({ tap.push(track: i < 7 ? 0 : 1, rtp: $0.baseAddress!, length: $0.count, arrival: 0) }) { accepted += 1 }
        }
        XCTAssertEqual(accepted, 4)
        XCTAssertEqual(tap.dropped, 6)         // 4, 5, 6 of track 0 and 7, 8, 9 of track 1
        XCTAssertEqual(seqs(tap), [0, 1, 2, 3])
        let late0 = packet(10), late1 = packet(11)
        late1.withUnsafeBytes { _ = tap.push(track: 1, rtp: $0.baseAddress!, length: $0.count, arrival: 0) }
        late0.withUnsafeBytes { _ = tap.push(track: 0, rtp: $0.baseAddress!, length: $0.count, arrival: 0) }
        var gaps: [(Int, Int)] = []
        tap.drain { gaps.append(($0.track, $0.droppedBefore)) }
        XCTAssertEqual(gaps.map(\.0), [1, 0])
        XCTAssertEqual(gaps.map(\.1), [3, 3])
        // Oversized packets and bad track indices are refused and counted, never truncated.
        let big = [UInt8](repeating: 0, count: RecorderTap.slotSize + 1)
        XCTAssertFalse(big.withUnsafeBytes { tap.push(track: 0, rtp: $0.baseAddress!, length: $0.count, arrival: 0) })
        XCTAssertFalse(late0.withUnsafeBytes { tap.push(track: RecorderTap.maxTracks, rtp: $0.baseAddress!, length: $0.count, arrival: 0) })
        XCTAssertEqual(tap.dropped, 8)
        XCTAssertEqual(tap.count, 0)
    }

    func testDrainLimitLeavesTheRestQueued() {
        let tap = RecorderTap(slotCount: 16)
        for i in 0..<10 { packet(UInt16(i)).withUnsafeBytes { _ = tap.push(track: 0, rtp: $0.baseAddress!, length: $0.count, arrival: 0) } }
        var first: [Int] = []
        XCTAssertEqual(tap.drain(limit: 3) { first.append(Int($0.bytes[3])) }, 3)
        XCTAssertEqual(first, [0, 1, 2])
        XCTAssertEqual(seqs(tap), [3, 4, 5, 6, 7, 8, 9])
    }

    /// Producer and consumer on two threads, 1e6 packets. With a consumer
    /// that keeps up nothing is lost and every sequence arrives in order;
    /// with one that sleeps, drops are counted and delivered + dropped = pushed.
    func testTwoThreadStress() throws {
        for sleepy in [false, true] {
            let tap = RecorderTap(slotCount: 1024)
            let total = 1_000_000
            let done = DispatchSemaphore(value: 0)
            let producer = Thread {
                var buf = [UInt8](repeating: 0, count: 64)
                var i = 0
                while i < total {
                    buf[0] = UInt8(truncatingIfNeeded: i)
                    buf[1] = UInt8(truncatingIfNeeded: i >> 8)
                    buf[2] = UInt8(truncatingIfNeeded: i >> 16)
                    // Media arrives paced; here the pace is "while the ring is not more than half full".
                    if !sleepy && tap.count > tap.capacity / 2 { sched_yield(); continue }
                    _ = buf.withUnsafeBytes { tap.push(track: 0, rtp: $0.baseAddress!, length: 64, arrival: UInt64(i)) }
                    i += 1
                }
                tap.close()
                done.signal()
            }
            producer.start()
            var received = 0, lastIndex = -1, outOfOrder = 0, gapsReported = 0, corrupt = 0
            while true {
                let closed = tap.isClosed
                tap.drain { e in
                    let idx = Int(e.bytes[0]) | Int(e.bytes[1]) << 8 | Int(e.bytes[2]) << 16
                    if Int(e.arrival) & 0xff_ffff != idx { corrupt += 1 }
                    if Int(e.arrival) <= lastIndex { outOfOrder += 1 }
                    lastIndex = Int(e.arrival)
                    gapsReported += e.droppedBefore
                    received += 1
                }
                if closed { break }
                if sleepy { usleep(2000) } // a stalled disk: the worker must not wait for it
            }
            XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
            XCTAssertEqual(outOfOrder, 0)
            XCTAssertEqual(corrupt, 0)
            if sleepy {
                XCTAssertGreaterThan(tap.dropped, 0)
                XCTAssertEqual(received + tap.dropped, total)
                XCTAssertLessThanOrEqual(gapsReported, tap.dropped) // drops after the last packet are reported by the total only
                print("RecorderTap stress (consumer sleeping 2 ms per drain): \(received) delivered, \(tap.dropped) dropped of \(total)")
            } else {
                XCTAssertEqual(received, total)
                XCTAssertEqual(tap.dropped, 0)
            }
        }
    }

    /// The worker side (push of RTP and sender reports) allocates nothing.
    func testWorkerSidePushAllocatesNothing() {
        let tap = RecorderTap(slotCount: 256)
        let pkt = UnsafeMutableRawPointer.allocate(byteCount: 1200, alignment: 16)
        defer { pkt.deallocate() }
        memset(pkt, 0x5a, 1200)
        // Warm-up outside the counted region.
        tap.push(track: 0, rtp: pkt, length: 1200, arrival: 0)
        tap.drain { _ in }
        var ok = 0
        alloc_counter_start()
        for i in 0..<100_000 {
            if tap.push(track: i & 1, rtp: pkt, length: 1200, arrival: UInt64(i)) { ok += 1 }
            if i % 50 == 0 { tap.pushSenderReport(track: 0, ntp: UInt64(i), rtpTimestamp: UInt32(i), arrival: UInt64(i)) }
        }
        let allocations = alloc_counter_stop()
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(tap.count, 256)     // the ring filled up (RTP and sender reports), the rest were dropped
        XCTAssertGreaterThan(ok, 240)
        XCTAssertGreaterThan(tap.dropped, 99_000)
    }
}

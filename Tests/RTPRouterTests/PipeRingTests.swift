import Glibc
import Handoff
import XCTest
@testable import RTPRouter

/// The ring as the pipe between workers uses it (per-batch `signal()`):
/// order, bounds and the cross-thread handover. (`RecorderTapTests` covers
/// the same `PacketRing` as the recorder uses it.)
final class PipeRingTests: XCTestCase {
    func testFullRingDropsAndCountsInsteadOfOverwriting() {
        let ring = PipeRing(slotCount: 4)
        var packet = [UInt8](repeating: 0, count: 100)
        for i in 0..<6 {
            packet[0] = UInt8(i)
            ring.push(track: 1, rtp: &packet, length: 100, arrival: UInt64(i))
        }
        XCTAssertEqual(ring.dropped, 2)
        var seen: [UInt8] = []
        ring.drain { entry in
            XCTAssertEqual(entry.kind, .rtp)
            XCTAssertEqual(entry.track, 1)
            XCTAssertEqual(entry.length, 100)
            seen.append(entry.packet.load(as: UInt8.self))
        }
        XCTAssertEqual(seen, [0, 1, 2, 3])
        XCTAssertFalse(ring.push(track: 0, rtp: &packet, length: PipeRing.slotSize + 1, arrival: 0), "oversized packets are refused")
        ring.pushSenderReport(track: 2, ntp: 0xAABB_CCDD_0011_2233, rtpTimestamp: 90000, arrival: 7)
        var reports = 0
        ring.drain { entry in
            XCTAssertEqual(entry.kind, .senderReport)
            XCTAssertEqual(entry.ntp, 0xAABB_CCDD_0011_2233)
            XCTAssertEqual(entry.rtpTimestamp, 90000)
            reports += 1
        }
        XCTAssertEqual(reports, 1)
    }

    /// One thread pushes 200,000 numbered packets while another drains on
    /// eventfd wake-ups: every packet arrives once, in order, intact.
    func testProducerAndConsumerThreadsHandOverEveryPacketInOrder() {
        let ring = PipeRing(slotCount: 256)
        let total = 200_000
        let producer = Thread {
            var packet = [UInt8](repeating: 0, count: 1200)
            var i = 0
            while i < total {
                packet.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(i), as: UInt32.self) }
                packet[1199] = UInt8(truncatingIfNeeded: i)
                if ring.push(track: 0, rtp: packet, length: 1200, arrival: 0) { i += 1 } else { ring.signal(); sched_yield() }
                if i % 32 == 0 { ring.signal() }
            }
            ring.signal()
        }
        producer.start()
        var expected = 0
        var corrupt = 0
        var pfd = pollfd(fd: ring.wakeFD, events: Int16(POLLIN), revents: 0)
        let deadline = monotonicNow() + 20_000_000_000
        while expected < total && monotonicNow() < deadline {
            _ = poll(&pfd, 1, 100)
            ring.acknowledgeWake()
            ring.drain { entry in
                if entry.packet.load(as: UInt32.self) != UInt32(expected) || entry.length != 1200
                    || entry.packet.load(fromByteOffset: 1199, as: UInt8.self) != UInt8(truncatingIfNeeded: expected) { corrupt += 1 }
                expected += 1
            }
        }
        XCTAssertEqual(expected, total)
        XCTAssertEqual(corrupt, 0)
    }
}

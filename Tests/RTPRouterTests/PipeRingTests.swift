import Glibc
import XCTest
@testable import RTPRouter

/// The pipe between workers: order, bounds and the cross-thread handover.
final class PipeRingTests: XCTestCase {
    func testFullRingDropsAndCountsInsteadOfOverwriting() {
        let ring = PipeRing(capacity: 4)
        var packet = [UInt8](repeating: 0, count: 100)
        for i in 0..<6 {
            packet[0] = UInt8(i)
            ring.push(rtp: &packet, length: 100, trackIndex: 1, arrival: UInt64(i))
        }
        XCTAssertEqual(ring.dropped, 2)
        var seen: [UInt8] = []
        ring.drain { header, bytes in
            XCTAssertEqual(header.kind, .rtp)
            XCTAssertEqual(header.trackIndex, 1)
            XCTAssertEqual(header.length, 100)
            seen.append(bytes.load(as: UInt8.self))
        }
        XCTAssertEqual(seen, [0, 1, 2, 3])
        XCTAssertFalse(ring.push(rtp: &packet, length: PipeRing.slotDataSize + 1, trackIndex: 0, arrival: 0), "oversized packets are refused")
        ring.push(senderReportOf: 2, ntp: 0xAABB_CCDD_0011_2233, rtp: 90000, arrival: 7)
        var reports = 0
        ring.drain { header, _ in
            XCTAssertEqual(header.kind, .senderReport)
            XCTAssertEqual(header.ntp, 0xAABB_CCDD_0011_2233)
            XCTAssertEqual(header.rtp, 90000)
            reports += 1
        }
        XCTAssertEqual(reports, 1)
    }

    /// One thread pushes 200,000 numbered packets while another drains on
    /// eventfd wake-ups: every packet arrives once, in order, intact.
    func testProducerAndConsumerThreadsHandOverEveryPacketInOrder() {
        let ring = PipeRing(capacity: 256)
        let total = 200_000
        let producer = Thread {
            var packet = [UInt8](repeating: 0, count: 1200)
            var i = 0
            while i < total {
                packet.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(i), as: UInt32.self) }
                packet[1199] = UInt8(truncatingIfNeeded: i)
                if ring.push(rtp: packet, length: 1200, trackIndex: 0, arrival: 0) { i += 1 } else { ring.signal(); sched_yield() }
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
            ring.drain { header, bytes in
                if bytes.load(as: UInt32.self) != UInt32(expected) || header.length != 1200
                    || bytes.load(fromByteOffset: 1199, as: UInt8.self) != UInt8(truncatingIfNeeded: expected) { corrupt += 1 }
                expected += 1
            }
        }
        XCTAssertEqual(expected, total)
        XCTAssertEqual(corrupt, 0)
    }
}

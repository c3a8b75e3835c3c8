import XCTest
@testable import RTP

/// RFC 3550 A.1 (sequence validation), A.3 (loss), A.8 (jitter), §6.4.1 (LSR/DLSR, RTT).
final class StatsTests: XCTestCase {
    func testInOrderStreamHasNoLoss() {
        var s = ReceiveStats(clockRate: 90000)
        for i in 0..<100 {
            XCTAssertTrue(s.received(sequenceNumber: UInt16(truncatingIfNeeded: 65500 + i), rtpTimestamp: UInt32(i * 3000),
                                     arrival: Int64(i) * 33_333, bytes: 1000))
        }
        XCTAssertEqual(s.cycles, 1 << 16)
        XCTAssertEqual(s.expected, 100)
        XCTAssertEqual(s.cumulativeLost, 0)
        XCTAssertEqual(s.bytesReceived, 100_000)
        let r = s.makeReport(ssrc: 7, now: 4_000_000)
        XCTAssertEqual(r.extendedHighestSequence, 1 << 16 | UInt32((65500 + 99) & 0xFFFF))
        XCTAssertEqual(r.fractionLost, 0)
        XCTAssertEqual(r.cumulativeLost, 0)
        XCTAssertLessThanOrEqual(r.jitter, 1, "33 333 µs ≈ 3000 ticks: no jitter")
    }

    func testLossAndFractionPerInterval() {
        var s = ReceiveStats(clockRate: 90000)
        for seq in 0..<100 where seq % 4 != 0 || seq == 0 {     // lose 24 of 100
            s.received(sequenceNumber: UInt16(seq), rtpTimestamp: 0, arrival: 0)
        }
        var r = s.makeReport(ssrc: 1, now: 0)
        XCTAssertEqual(r.cumulativeLost, 24)
        XCTAssertEqual(r.fractionLost, UInt8(24 * 256 / 100))
        for seq in 100..<200 { s.received(sequenceNumber: UInt16(seq), rtpTimestamp: 0, arrival: 0) }
        r = s.makeReport(ssrc: 1, now: 0)
        XCTAssertEqual(r.fractionLost, 0, "no loss in the second interval")
        XCTAssertEqual(r.cumulativeLost, 24)
    }

    func testDuplicatesMakeLossNegativeAndFractionZero() {
        var s = ReceiveStats(clockRate: 48000)
        for seq in [1, 2, 3, 3, 3] as [UInt16] { s.received(sequenceNumber: seq, rtpTimestamp: 0, arrival: 0) }
        let r = s.makeReport(ssrc: 1, now: 0)
        XCTAssertEqual(r.cumulativeLost, -2)
        XCTAssertEqual(r.fractionLost, 0)
    }

    /// A.1: a big jump is believed only when the next packet follows it.
    func testRestartNeedsTwoSequentialPackets() {
        var s = ReceiveStats(clockRate: 90000)
        for seq in 0..<10 as Range<UInt16> { s.received(sequenceNumber: seq, rtpTimestamp: 0, arrival: 0) }
        XCTAssertFalse(s.received(sequenceNumber: 40000, rtpTimestamp: 0, arrival: 0))
        XCTAssertTrue(s.received(sequenceNumber: 10, rtpTimestamp: 0, arrival: 0), "the old stream goes on")
        XCTAssertFalse(s.received(sequenceNumber: 50000, rtpTimestamp: 0, arrival: 0))
        XCTAssertTrue(s.received(sequenceNumber: 50001, rtpTimestamp: 0, arrival: 0), "confirmed restart")
        XCTAssertEqual(s.baseSequence, 50001)
        XCTAssertEqual(s.expected, 1)
        XCTAssertEqual(s.packetsReceived, 1)
    }

    func testProbation() {
        var s = ReceiveStats(clockRate: 90000, minSequential: 2)
        XCTAssertFalse(s.received(sequenceNumber: 100, rtpTimestamp: 0, arrival: 0))
        XCTAssertTrue(s.received(sequenceNumber: 101, rtpTimestamp: 0, arrival: 0))
        XCTAssertEqual(s.packetsReceived, 1)
        XCTAssertTrue(s.received(sequenceNumber: 102, rtpTimestamp: 0, arrival: 0))
        XCTAssertEqual(s.expected, 2)
    }

    /// A.8: packets sent every 20 ms arriving alternately 0 and 10 ms late
    /// → |D| = 10 ms = 480 ticks at 48 kHz; J converges towards 480.
    func testJitterConverges() {
        var s = ReceiveStats(clockRate: 48000)
        for i in 0..<2000 {
            let late: Int64 = i % 2 == 0 ? 0 : 10_000
            s.received(sequenceNumber: UInt16(truncatingIfNeeded: i), rtpTimestamp: UInt32(i * 960),
                       arrival: Int64(i) * 20_000 + late)
        }
        XCTAssertEqual(Double(s.jitter), 480, accuracy: 20)
    }

    func testLSRAndDLSRAndRoundTrip() {
        var s = ReceiveStats(clockRate: 90000)
        s.received(sequenceNumber: 1, rtpTimestamp: 0, arrival: 0)
        let srNTP = NTPTimestamp(seconds: 0x0001_2345, fraction: 0x8000_0000)
        s.senderReportReceived(ntp: srNTP, arrival: 1_000_000)
        let r = s.makeReport(ssrc: 9, now: 1_250_000)                // 0.25 s after the SR arrived
        XCTAssertEqual(r.lastSenderReport, 0x2345_8000)
        XCTAssertEqual(r.delaySinceLastSenderReport, 16384)          // 0.25 × 65536
        // The sender gets it back 0.3 s after its SR: RTT = 0.3 − 0.25 = 50 ms.
        let arrival = NTPTimestamp(raw: srNTP.raw + UInt64(0.3 * 4_294_967_296))
        let rtt = try! XCTUnwrap(ReceiveStats.roundTripTime(report: r, arrival: arrival))
        XCTAssertEqual(Double(rtt), 50_000, accuracy: 50)
        XCTAssertNil(ReceiveStats.roundTripTime(report: ReceptionReport(ssrc: 1), arrival: arrival))
    }

    func testSenderStats() {
        var s = SenderStats(clockRate: 90000)
        XCTAssertNil(s.senderReport(ssrc: 1, now: 0, ntp: NTPTimestamp(raw: 0)))
        s.sent(payloadLength: 1000, rtpTimestamp: 90000, now: 1_000_000)
        s.sent(payloadLength: 500, rtpTimestamp: 93000, now: 1_033_333)
        s.sent(payloadLength: 10, rtpTimestamp: 90000, now: 1_040_000)         // a retransmission: older timestamp
        let ntp = NTPTimestamp(unixMicroseconds: 1_700_000_000_000_000)
        let sr = s.senderReport(ssrc: 1, now: 2_033_333, ntp: ntp)!
        XCTAssertEqual(sr.packetCount, 3)
        XCTAssertEqual(sr.octetCount, 1510)
        XCTAssertEqual(sr.rtpTimestamp, 93000 + 90000, "extrapolated 1 s past the last new timestamp")
        let mapping = RTPTimeMapping(ntp: NTPTimestamp(unixMicroseconds: 1_699_999_999_000_000), rtpTimestamp: 500)
        XCTAssertEqual(s.rtpTimestamp(now: 0, ntp: ntp, mapping: mapping), 500 + 90000)
    }
}

import XCTest
@testable import RTP

final class TimestampRewriterTests: XCTestCase {
    func testFirstSourceStartsAtInitialOutput() {
        var t = TimestampRewriter(clockRate: 90000, initialOutput: 1000)
        XCTAssertEqual(t.output(5_000_000, now: 0), 1000)
        XCTAssertEqual(t.output(5_003_000, now: 33_333), 4000)
        XCTAssertEqual(t.lastSyncMethod, .initial)
    }

    /// A republish 2 s later: the new source continues 2 s × 90 kHz later.
    func testSourceChangeUsesElapsedTime() {
        var t = TimestampRewriter(clockRate: 90000, initialOutput: 0)
        XCTAssertEqual(t.output(100, now: 1_000_000), 0)
        XCTAssertEqual(t.output(3100, now: 1_033_333), 3000)
        t.sourceChanged()
        XCTAssertEqual(t.output(7_777_777, now: 3_033_333), 3000 + 180_000)
        XCTAssertEqual(t.output(7_780_777, now: 3_066_666), 3000 + 183_000)
        XCTAssertEqual(t.lastSyncMethod, .elapsedTime)
    }

    /// A switch at the same instant still moves forward by a tick.
    func testSourceChangeWithoutElapsedTimeStillAdvances() {
        var t = TimestampRewriter(clockRate: 48000, initialOutput: 10)
        _ = t.output(0, now: 0)
        t.sync(nextInput: 99, now: 0)
        XCTAssertEqual(t.output(99, now: 0), 11)
    }

    func testOutputWraps() {
        var t = TimestampRewriter(clockRate: 90000, initialOutput: UInt32.max - 1000)
        XCTAssertEqual(t.output(0, now: 0), UInt32.max - 1000)
        XCTAssertEqual(t.output(3000, now: 33_333), 1999)
        XCTAssertEqual(t.lastOutput, 1999)
    }

    /// Simulcast switch with both sources' sender reports: the new packet's
    /// capture time lands exactly in the previous source's timeline.
    func testSenderReportSync() {
        var t = TimestampRewriter(clockRate: 90000, initialOutput: 0)
        let wall0 = NTPTimestamp(unixMicroseconds: 1_700_000_000_000_000)
        // Previous source: RTP 1_000_000 at wall0; new source: RTP 50 at wall0.
        let previous = RTPTimeMapping(ntp: wall0, rtpTimestamp: 1_000_000)
        let next = RTPTimeMapping(ntp: wall0, rtpTimestamp: 50)
        XCTAssertEqual(t.output(1_000_000, now: 0), 0)
        XCTAssertEqual(t.output(1_009_000, now: 100_000), 9000)
        // New source's packet captured 0.2 s after wall0 → previous timeline 1_018_000 → output 18000.
        t.sync(nextInput: 50 + 18_000, now: 200_000, newSource: next, previousSource: previous)
        XCTAssertEqual(t.lastSyncMethod, .senderReports)
        XCTAssertEqual(t.output(50 + 18_000, now: 200_000), 18_000)
    }

    /// Reports that disagree with the wall clock by more than 5 s are not trusted.
    func testSenderReportSyncFallsBack() {
        var t = TimestampRewriter(clockRate: 90000, initialOutput: 0)
        let wall0 = NTPTimestamp(unixMicroseconds: 1_700_000_000_000_000)
        let previous = RTPTimeMapping(ntp: wall0, rtpTimestamp: 1_000_000)
        let far = RTPTimeMapping(ntp: NTPTimestamp(unixMicroseconds: 1_700_000_060_000_000), rtpTimestamp: 0)
        _ = t.output(1_000_000, now: 0)
        t.sync(nextInput: 0, now: 100_000, newSource: far, previousSource: previous)
        XCTAssertEqual(t.lastSyncMethod, .elapsedTime)
        XCTAssertEqual(t.output(0, now: 100_000), 9000)
        // And reports that would move output backwards are not used either.
        let behind = RTPTimeMapping(ntp: NTPTimestamp(unixMicroseconds: 1_700_000_000_000_000), rtpTimestamp: 0)
        t.sync(nextInput: 0, now: 100_000, newSource: behind, previousSource: previous)
        XCTAssertEqual(t.lastSyncMethod, .elapsedTime)
    }

    func testNTPConversions() {
        let us: Int64 = 1_700_000_000_123_456
        let ntp = NTPTimestamp(unixMicroseconds: us)
        XCTAssertEqual(ntp.seconds, UInt32(1_700_000_000 + 2_208_988_800))
        XCTAssertLessThanOrEqual(abs(ntp.unixMicroseconds - us), 1)
        let later = NTPTimestamp(unixMicroseconds: us + 1_500_000)
        XCTAssertLessThanOrEqual(abs(later.microseconds(since: ntp) - 1_500_000), 1)
        XCTAssertLessThanOrEqual(abs(ntp.microseconds(since: later) + 1_500_000), 1)
        XCTAssertEqual(NTPTimestamp(seconds: 0x1234_5678, fraction: 0x9ABC_DEF0).middle32, 0x5678_9ABC)
        let m = RTPTimeMapping(ntp: ntp, rtpTimestamp: 1000)
        XCTAssertEqual(m.rtp(at: later, clockRate: 48000), 1000 + 72000)
        XCTAssertLessThanOrEqual(abs(m.ntp(forRTP: 1000 + 72000, clockRate: 48000).microseconds(since: later)), 1)
        XCTAssertLessThanOrEqual(abs(m.ntp(forRTP: 1000 &- 48000, clockRate: 48000).microseconds(since: ntp) + 1_000_000), 1)
    }
}

import XCTest
import JSON
@testable import BenchPeer

final class StatsTests: XCTestCase {
    func testCounterCountsLossDuplicatesAndReordering() {
        var c = StreamReceiveCounter()
        // 10 11 13 12 12 16 (14, 15 lost) 11 (duplicate, late)
        let outcomes = [10, 11, 13, 12, 12, 16, 11].map { c.record(UInt32($0)) }
        XCTAssertEqual(outcomes, [.inOrder, .inOrder, .inOrder, .reordered, .duplicate, .inOrder, .duplicate])
        XCTAssertEqual(c.expected, 7)      // 10...16
        XCTAssertEqual(c.unique, 5)        // 10 11 12 13 16
        XCTAssertEqual(c.duplicates, 2)
        XCTAssertEqual(c.reordered, 1)
        XCTAssertEqual(c.expected - c.unique, 2)
    }

    func testIntervalDeltasFromSnapshots() {
        var c = StreamReceiveCounter()
        for i in 0..<100 { c.record(UInt32(i)) }
        let base = c.snapshot
        for i in 100..<200 where i % 10 != 0 { c.record(UInt32(i)) }   // 10 lost
        let now = c.snapshot
        XCTAssertEqual(now.expected - base.expected, 100)  // highest 99 → 199: counters 100…199
        XCTAssertEqual(now.unique - base.unique, 90)
    }

    func testWindowSlidesAndOldPacketsAreTooOld() {
        var c = StreamReceiveCounter()
        c.record(0)
        c.record(5000)                                   // jump over more than the window
        XCTAssertEqual(c.record(5000 - 1023), .reordered) // inside the window, never seen
        XCTAssertEqual(c.record(5000 - 1023), .duplicate)
        XCTAssertEqual(c.record(100), .tooOld)
        XCTAssertEqual(c.tooOld, 1)
        // Counters wrap at 2^32.
        var w = StreamReceiveCounter()
        w.record(UInt32.max - 1)
        XCTAssertEqual(w.record(UInt32.max), .inOrder)
        XCTAssertEqual(w.record(0), .inOrder)
        XCTAssertEqual(w.record(1), .inOrder)
        XCTAssertEqual(w.record(UInt32.max), .duplicate)
        XCTAssertEqual(w.expected, 4)
        XCTAssertEqual(w.unique, 4)
    }

    func testHistogramBucketsAndPercentiles() {
        XCTAssertEqual(DelayHistogram.bucket(0), 0)
        XCTAssertEqual(DelayHistogram.bucket(19_999), 0)
        XCTAssertEqual(DelayHistogram.bucket(20_000), 1)
        XCTAssertEqual(DelayHistogram.bucket(19_999_999), 999)
        XCTAssertEqual(DelayHistogram.bucket(20_000_000), 1000)
        XCTAssertEqual(DelayHistogram.bucket(200_000_000), 1900)
        XCTAssertEqual(DelayHistogram.bucket(4_999_999_999), 2859)
        XCTAssertEqual(DelayHistogram.bucket(60_000_000_000), DelayHistogram.bucketCount - 1)
        for i in [0, 999, 1000, 1899, 1900, 2859] {
            XCTAssertEqual(DelayHistogram.bucket(DelayHistogram.upperEdge(i) - 1), i)
        }
        var h = DelayHistogram()
        XCTAssertNil(h.percentile(0.5))
        for ms in 1...100 { h.record(UInt64(ms) * 1_000_000) }   // 1 … 100 ms
        XCTAssertEqual(h.total, 100)
        XCTAssertEqual(h.percentile(0.5)!, 50_200_000, accuracy: 0)      // bucket of 50 ms ends at 50.2 ms
        XCTAssertEqual(h.percentile(0.99)!, 99_200_000, accuracy: 0)
        XCTAssertEqual(h.percentile(1.0), 100_000_000)                   // capped by the exact maximum
        XCTAssertEqual(h.maxNanos, 100_000_000)
    }

    func testHistogramMergeAndSparseRoundTrip() {
        var a = DelayHistogram(), b = DelayHistogram()
        a.record(1_000_000); a.record(1_000_000); b.record(300_000_000)
        var m = a
        m.merge(b)
        XCTAssertEqual(m.total, 3)
        XCTAssertEqual(m.maxNanos, 300_000_000)
        XCTAssertEqual(m.sparse, [[50, 2], [1920, 1]])
        XCTAssertEqual(DelayHistogram(sparse: m.sparse, maxNanos: m.maxNanos), m)
        XCTAssertNil(DelayHistogram(sparse: [[99_999, 1]], maxNanos: 0), "bucket out of range")
        XCTAssertNil(DelayHistogram(sparse: [[1]], maxNanos: 0), "not a pair")
    }

    func testTallyJSONRoundTripAndMerge() throws {
        var t = Tally()
        t.viewers = 3; t.publishers = 1; t.sent = 540; t.expected = 1620; t.received = 1610; t.duplicates = 2
        t.reordered = 1; t.srtpFailures = 0; t.freezes = 1; t.maxGapNanos = 120_000_000; t.keyframeWaitsNanos = [5_000_000, 900_000_000]
        t.delays.record(2_000_000); t.gcmPeers = 4; t.harnessLoopBusyMaxNanos = 3_000_000; t.harnessLoopLateMaxNanos = 1_500_000
        let back = try Tally(json: try JSON.parse(t.json.serialized()))
        XCTAssertEqual(back, t)
        XCTAssertEqual(t.lost, 10)
        XCTAssertEqual(t.lossFraction, 10.0 / 1620, accuracy: 1e-12)
        var m = t
        m.merge(back)
        XCTAssertEqual(m.received, 3220)
        XCTAssertEqual(m.keyframeWaitsNanos.count, 4)
        XCTAssertEqual(m.delays.total, 2)
        var broken = t.json.objectValue!
        broken["received"] = "many"
        XCTAssertThrowsError(try Tally(json: .object(broken))) { XCTAssertEqual(($0 as? Tally.DecodeError)?.field, "received") }
    }
}

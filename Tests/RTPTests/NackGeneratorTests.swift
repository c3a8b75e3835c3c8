import XCTest
@testable import RTP

final class NackGeneratorTests: XCTestCase {
    var out = [UInt16](repeating: 0, count: 2048)

    func tick(_ g: NackGenerator, now: Int64, rtt: Int64? = nil) -> [UInt16] {
        let n = out.withUnsafeMutableBufferPointer { g.tick(now: now, rtt: rtt, into: $0) }
        return Array(out[..<n])
    }

    func testGapIsNackedAtOnceAndRecoveryRemovesIt() {
        let g = NackGenerator()
        XCTAssertEqual(g.received(100), .inOrder)
        XCTAssertEqual(g.received(101), .inOrder)
        XCTAssertEqual(g.received(105), .gap(missing: 3))
        XCTAssertEqual(g.count, 3)
        XCTAssertEqual(tick(g, now: 1_000), [102, 103, 104])
        XCTAssertEqual(tick(g, now: 2_000), [], "not again before the retry interval")
        XCTAssertEqual(g.received(103), .recovered)
        XCTAssertFalse(g.isMissing(103))
        XCTAssertTrue(g.isMissing(102))
        XCTAssertEqual(tick(g, now: 101_000), [102, 104], "default retry interval 100 ms")
        XCTAssertEqual(g.received(103), .duplicateOrOld)
        XCTAssertEqual(g.received(105), .duplicateOrOld)
    }

    func testRetryIntervalFollowsRTTWithAFloor() {
        let g = NackGenerator()
        _ = g.received(1); _ = g.received(3)
        XCTAssertEqual(tick(g, now: 0, rtt: 30_000), [2])
        XCTAssertEqual(tick(g, now: 29_000, rtt: 30_000), [])
        XCTAssertEqual(tick(g, now: 30_000, rtt: 30_000), [2])
        XCTAssertEqual(tick(g, now: 40_000, rtt: 1_000), [], "20 ms floor")
        XCTAssertEqual(tick(g, now: 50_000, rtt: 1_000), [2])
    }

    func testGivesUpAfterMaxRetries() {
        let g = NackGenerator()
        _ = g.received(1); _ = g.received(3)
        var sent = 0
        for i in 0..<20 { sent += tick(g, now: Int64(i) * 100_000).count }
        XCTAssertEqual(sent, 10)
        XCTAssertEqual(g.count, 0)
    }

    func testWrapAround() {
        let g = NackGenerator()
        _ = g.received(65534)
        XCTAssertEqual(g.received(1), .gap(missing: 2))
        XCTAssertEqual(tick(g, now: 0), [65535, 0])
        XCTAssertEqual(g.received(0), .recovered)
        XCTAssertEqual(tick(g, now: 200_000), [65535])
    }

    func testOldEntriesAgeOut() {
        let g = NackGenerator()
        _ = g.received(0)
        _ = g.received(2)                         // 1 missing
        var s: UInt16 = 2
        for _ in 0..<10_000 { s &+= 1; _ = g.received(s) }
        XCTAssertFalse(g.isMissing(1), "more than 10 000 behind")
        XCTAssertEqual(g.count, 0)
    }

    func testHugeGapAsksForKeyframe() {
        let g = NackGenerator()
        _ = g.received(0)
        XCTAssertEqual(g.received(20_000), .keyframeNeeded)
        XCTAssertEqual(g.count, 0)
        XCTAssertEqual(g.received(20_001), .inOrder)
    }

    func testTooManyMissingKeepsTheNewestAndAsksForKeyframe() {
        let g = NackGenerator()
        _ = g.received(0)
        XCTAssertEqual(g.received(1_500), .keyframeNeeded)
        XCTAssertEqual(g.count, 1_000)
        XCTAssertFalse(g.isMissing(499))
        XCTAssertTrue(g.isMissing(500))
        XCTAssertTrue(g.isMissing(1_499))
        // Filling the ring with small gaps pushes the oldest out.
        let h = NackGenerator()
        _ = h.received(0)
        var s: UInt16 = 0
        var keyframe = false
        for _ in 0..<1_100 { s &+= 2; if h.received(s) == .keyframeNeeded { keyframe = true } }
        XCTAssertTrue(keyframe)
        XCTAssertEqual(h.count, 1_000)
    }

    func testOutputBufferLimit() {
        let g = NackGenerator()
        _ = g.received(0); _ = g.received(11)
        var small = [UInt16](repeating: 0, count: 4)
        let n = small.withUnsafeMutableBufferPointer { g.tick(now: 0, rtt: nil, into: $0) }
        XCTAssertEqual(Array(small[..<n]), [1, 2, 3, 4])
        XCTAssertEqual(tick(g, now: 0), [5, 6, 7, 8, 9, 10], "the rest next time")
    }

    func testResetForgetsEverything() {
        let g = NackGenerator()
        _ = g.received(0); _ = g.received(5)
        g.reset()
        XCTAssertEqual(g.count, 0)
        XCTAssertEqual(g.received(9000), .inOrder)
        XCTAssertEqual(tick(g, now: 0), [])
    }
}

final class PacketCacheTests: XCTestCase {
    func packet(seq: UInt16, payload: UInt8, size: Int = 100) -> [UInt8] {
        var b = [UInt8](repeating: payload, count: size)
        b[0] = 0x80; b[1] = 96; b[2] = UInt8(seq >> 8); b[3] = UInt8(seq & 0xFF)
        return b
    }

    func store(_ cache: PacketCache, _ bytes: [UInt8], now: Int64 = 0) -> Bool {
        try! withRTP(bytes) { cache.store($0, now: now) }
    }

    func testStoreAndLookup() {
        let cache = PacketCache(slotCount: 16, slotSize: 200)
        XCTAssertTrue(store(cache, packet(seq: 5, payload: 0xAA)))
        let v = cache.packet(sequenceNumber: 5, now: 0)
        XCTAssertEqual(v?.sequenceNumber, 5)
        XCTAssertEqual(v?.length, 100)
        XCTAssertEqual(v?.payload.first, 0xAA)
        XCTAssertNil(cache.packet(sequenceNumber: 6, now: 0))
        XCTAssertNil(cache.packet(sequenceNumber: 21, now: 0), "same slot, other number")
    }

    func testOverwriteAfterOneLap() {
        let cache = PacketCache(slotCount: 16, slotSize: 200)
        _ = store(cache, packet(seq: 5, payload: 1))
        _ = store(cache, packet(seq: 21, payload: 2))
        XCTAssertNil(cache.packet(sequenceNumber: 5, now: 0))
        XCTAssertEqual(cache.packet(sequenceNumber: 21, now: 0)?.payload.first, 2)
    }

    func testTooLargeIsNotKeptAndTooOldIsNotReturned() {
        let cache = PacketCache(slotCount: 16, slotSize: 64)
        _ = store(cache, packet(seq: 1, payload: 1, size: 60))
        XCTAssertFalse(store(cache, packet(seq: 17, payload: 1, size: 65)))
        XCTAssertNil(cache.packet(sequenceNumber: 1, now: 0), "the slot was cleared")
        _ = store(cache, packet(seq: 2, payload: 1, size: 60), now: 0)
        XCTAssertNotNil(cache.packet(sequenceNumber: 2, now: 2_000_000))
        XCTAssertNil(cache.packet(sequenceNumber: 2, now: 2_000_001))
        cache.removeAll()
        XCTAssertNil(cache.packet(sequenceNumber: 2, now: 0))
    }

    func testCopyOut() {
        let cache = PacketCache(slotCount: 16, slotSize: 200)
        let original = packet(seq: 9, payload: 0x5A)
        _ = store(cache, original)
        var slot = [UInt8](repeating: 0, count: 200)
        let n = slot.withUnsafeMutableBytes { cache.copy(sequenceNumber: 9, now: 0, into: $0.baseAddress!, capacity: 200) }
        XCTAssertEqual(n, 100)
        XCTAssertEqual(Array(slot[..<100]), original)
        let none = slot.withUnsafeMutableBytes { cache.copy(sequenceNumber: 9, now: 0, into: $0.baseAddress!, capacity: 99) }
        XCTAssertNil(none)
    }
}

/// RFC 4588 §4 retransmission format.
final class RTXTests: XCTestCase {
    func testEncapsulateAndDecapsulate() throws {
        let original = hex("""
            b0 60 12 34   // V=2 P=1 X=1 | PT=96 | seq 0x1234
            00 00 0b b8  11 22 33 44
            be de 00 01  10 07 00 00   // one-byte ext, id 1
            aa bb cc      // payload
            00 02         // padding (2)
            """)
        var rtx = [UInt8](repeating: 0, count: 64)
        let n = try withRTP(original) { v in
            rtx.withUnsafeMutableBytes {
                RTX.encapsulate(v, into: $0.baseAddress!, capacity: 64, ssrc: 0x5566_7788, payloadType: 97, sequenceNumber: 7)
            }
        }
        XCTAssertEqual(n, 25)
        XCTAssertEqual(Array(rtx[..<25]), hex("""
            90 61 00 07   // P cleared | PT=97 | RTX seq 7
            00 00 0b b8  55 66 77 88
            be de 00 01  10 07 00 00
            12 34         // OSN
            aa bb cc
            """))
        // And back, in place.
        var buffer = Array(rtx[..<25])
        try buffer.withUnsafeMutableBytes { raw in
            let v = try RTPPacketView(validating: raw.baseAddress!, length: 25)
            let (offset, length) = try XCTUnwrap(RTX.decapsulate(v, payloadType: 96, ssrc: 0x1122_3344))
            let restored = try RTPPacketView(validating: raw.baseAddress! + offset, length: length)
            XCTAssertEqual(restored.sequenceNumber, 0x1234)
            XCTAssertEqual(restored.payloadType, 96)
            XCTAssertEqual(restored.ssrc, 0x1122_3344)
            XCTAssertEqual(Array(restored.payload), [0xaa, 0xbb, 0xcc])
            XCTAssertEqual(restored.extensionData(id: 1).map(Array.init), [0x07])
        }
        XCTAssertNil(try withRTP(hex("80 61 00 07 00 00 0b b8 55 66 77 88 12")) {
            RTX.decapsulate($0, payloadType: 96, ssrc: 1)
        })
        XCTAssertNil(try withRTP(original) { v in
            rtx.withUnsafeMutableBytes { RTX.encapsulate(v, into: $0.baseAddress!, capacity: 24, ssrc: 1, payloadType: 97, sequenceNumber: 7) }
        })
    }
}

import XCTest
import CAllocCounter
import RTP

/// Issue 6: the forwarding path allocates nothing per packet. Counts the
/// calling thread's malloc/calloc/realloc/posix_memalign calls (the
/// `CAllocCounter` target interposes them) around 100 000 iterations of what
/// a consumer does to each packet.
final class AllocationTests: XCTestCase {
    /// The counter sees Swift allocations at all (otherwise a zero would mean nothing).
    func testCounterSeesSwiftAllocations() {
        final class Box { var x = 0 }
        alloc_counter_start()
        let boxes = (0..<10).map { _ in Box() }
        let n = alloc_counter_stop()
        XCTAssertEqual(boxes.count, 10)
        XCTAssertGreaterThanOrEqual(n, 10, "malloc interposition is not active")
    }

    func testForwardingPathAllocatesNothing() throws {
        // A Chrome-like VP8 key frame packet with a one-byte extension block.
        let template = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 03  22 aa bb cc  31 00 2a  10 7f  00 00 00
            90 80 9a 2b  10 02 00  9d 01 2a  80 02 e0 01
            """) + [UInt8](repeating: 0x42, count: 1100)
        // A viewer's compound feedback: RR, NACK, PLI, REMB, TWCC.
        let feedback = AiortcInteropTests.vectors["rr"]! + AiortcInteropTests.vectors["nack"]!
            + AiortcInteropTests.vectors["pli"]! + AiortcInteropTests.vectors["remb"]! + hex("""
            af cd 00 08  00 00 00 01  00 00 00 02  00 0a 00 0c  00 00 10 05
            20 04  e1 40  a0 00  04 01 02 03  ff 38  05 06  07  01
            """)

        // Everything preallocated, as in the worker.
        let pool = UnsafeMutableRawPointer.allocate(byteCount: 1500, alignment: 16)
        let sendSlot = UnsafeMutableRawPointer.allocate(byteCount: 1500, alignment: 16)
        let rtcpIn = UnsafeMutableRawPointer.allocate(byteCount: feedback.count, alignment: 16)
        let rtcpOut = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
        let nackOut = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 256)
        defer { pool.deallocate(); sendSlot.deallocate(); rtcpIn.deallocate(); rtcpOut.deallocate(); nackOut.deallocate() }
        feedback.withUnsafeBytes { rtcpIn.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let length = template.count

        let map = ExtensionIDMap([(from: 2, to: 3), (from: 3, to: 5)])
        var seq = SeqRewriter(initialOutput: 1000)
        var pictureID = SeqRewriter(bitWidth: 15, initialOutput: 7)
        var ts = TimestampRewriter(clockRate: 90000, initialOutput: 5000)
        var receive = ReceiveStats(clockRate: 90000)
        var send = SenderStats(clockRate: 90000)
        let cache = PacketCache()
        let nack = NackGenerator()
        var keyframes = 0, feedbackPackets = 0, lostSeen = 0, checksum: UInt64 = 0

        func iteration(_ i: Int) throws {
            // recvmmsg wrote the publisher's packet into the pool slot.
            template.withUnsafeBytes { pool.copyMemory(from: $0.baseAddress!, byteCount: length) }
            let inSeq = UInt16(truncatingIfNeeded: 1 + i)
            store16(pool, 2, inSeq)
            store32(pool, 4, UInt32(truncatingIfNeeded: 3000 &* i))
            var packet = try RTPPacketView(validating: pool, length: length)
            let now = Int64(i) * 5_000
            // Producer side: stats, loss detection, NACK cache.
            receive.received(sequenceNumber: packet.sequenceNumber, rtpTimestamp: packet.timestamp, arrival: now,
                             bytes: packet.length)
            if i % 50 == 7 { _ = nack.received(inSeq &+ 1) } else { _ = nack.received(inSeq) }
            cache.store(packet, now: now)
            // Consumer side: keyframe gate, rewrite in place, stats.
            let payload = UnsafeRawBufferPointer(packet.payload)
            if Keyframe.isKeyframe(.vp8, payload: payload) { keyframes += 1 }
            if let d = VP8PayloadDescriptor.parse(payload), let pid = d.pictureID,
               let out = pictureID.input(pid) {
                d.setPictureID(out, in: packet.payload)
            }
            guard let outSeq = seq.input(packet.sequenceNumber) else { return }
            packet.sequenceNumber = outSeq
            packet.timestamp = ts.output(packet.timestamp, now: now)
            packet.ssrc = 0xCAFE_BABE
            packet.payloadType = 100
            packet.rewriteExtensionIDs(map)
            packet.removePadding()
            send.sent(payloadLength: packet.payloadLength, rtpTimestamp: packet.timestamp, now: now)
            checksum &+= UInt64(load(packet))
            // A viewer's NACK answered from the cache, as RTX.
            if i % 10 == 0, let cached = cache.packet(sequenceNumber: inSeq, now: now) {
                _ = RTX.encapsulate(cached, into: sendSlot, capacity: 1500, ssrc: 1, payloadType: 101,
                                    sequenceNumber: UInt16(truncatingIfNeeded: i))
            }
            // Feedback from the viewer, NACKs and reports toward the publisher.
            if i % 20 == 0 {
                var reader = RTCPCompoundReader(pointer: rtcpIn, length: feedback.count)
                while let p = try reader.next() {
                    feedbackPackets += 1
                    switch p {
                    case .genericNACK(let v): v.forEachLost { _ in lostSeen += 1 }
                    case .transportCC(let v): var it = v.makeIterator(); while it.next() != nil { lostSeen += 0 }
                    case .remb(let v): checksum &+= v.bitrate
                    case .receiverReport(let v): checksum &+= UInt64(v.report(at: 0).jitter)
                    default: break
                    }
                }
                let n = nack.tick(now: now, rtt: 50_000, into: nackOut)
                if n > 0 {
                    _ = try GenericNACK.serialize(senderSSRC: 1, mediaSSRC: 2,
                                                  lost: UnsafeBufferPointer(rebasing: nackOut[..<n]), into: rtcpOut)
                }
                _ = try ReceiverReport.serialize(ssrc: 1, report: receive.makeReport(ssrc: 0x1122_3344, now: now),
                                                 into: rtcpOut)
                _ = try SenderReport.serialize(ssrc: 0xCAFE_BABE, ntp: NTPTimestamp(unixMicroseconds: now),
                                               rtpTimestamp: send.rtpTimestamp(now: now, ntp: NTPTimestamp(raw: 0)),
                                               packetCount: send.packetCount, octetCount: send.octetCount,
                                               report: nil, into: rtcpOut)
                _ = try PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).serialize(into: rtcpOut)
            }
        }

        for i in 0..<1_000 { try iteration(i) }                  // warm-up: metadata, lazy globals
        alloc_counter_start()
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 1_000..<101_000 { try iteration(i) }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let allocations = alloc_counter_stop()

        XCTAssertEqual(allocations, 0, "allocations in 100 000 forwarding iterations")
        XCTAssertEqual(keyframes, 101_000)
        XCTAssertGreaterThan(feedbackPackets, 0)
        XCTAssertGreaterThan(lostSeen, 0)
        print("AllocationTests: 100000 iterations, \(allocations) allocations, \(elapsed / 100_000) ns/iteration (checksum \(checksum))")
    }

    /// Only what a consumer does per forwarded packet (validate, keyframe
    /// gate, rewrite seq/ts/SSRC/PT/extension ids), in place on one buffer.
    /// Prints the cost; meaningful in release builds
    /// (`swift test -c release -Xswiftc -enable-testing --filter AllocationTests`).
    func testConsumerRewriteAllocatesNothing() throws {
        let template = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 03  22 aa bb cc  31 00 2a  10 7f  00 00 00
            90 80 9a 2b  10 02 00  9d 01 2a  80 02 e0 01
            """) + [UInt8](repeating: 0x42, count: 1100)
        let pool = UnsafeMutableRawPointer.allocate(byteCount: 1500, alignment: 16)
        defer { pool.deallocate() }
        template.withUnsafeBytes { pool.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let length = template.count
        let forward = ExtensionIDMap([(from: 2, to: 3), (from: 3, to: 5), (from: 1, to: 1)])
        let back = ExtensionIDMap([(from: 3, to: 2), (from: 5, to: 3), (from: 1, to: 1)])
        var seq = SeqRewriter(initialOutput: 1000)
        var ts = TimestampRewriter(clockRate: 90000, initialOutput: 5000)
        var keyframes = 0

        func iteration(_ i: Int) throws {
            store16(pool, 2, UInt16(truncatingIfNeeded: i))
            let p = try RTPPacketView(validating: pool, length: length)
            if Keyframe.isKeyframe(.vp8, payload: UnsafeRawBufferPointer(p.payload)) { keyframes += 1 }
            guard let out = seq.input(p.sequenceNumber) else { return }
            p.sequenceNumber = out
            p.timestamp = ts.output(p.timestamp, now: Int64(i) * 1000)
            p.ssrc = 0xCAFE_BABE
            p.payloadType = 100
            p.rewriteExtensionIDs(i & 1 == 0 ? forward : back)       // alternate, so the ids stay valid
        }
        for i in 0..<1_000 { try iteration(i) }
        alloc_counter_start()
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 1_000..<1_001_000 { try iteration(i) }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let allocations = alloc_counter_stop()
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(keyframes, 1_001_000)
        print("AllocationTests: consumer rewrite, 1000000 packets, \(allocations) allocations, \(Double(elapsed) / 1_000_000) ns/packet")
    }

    private func load(_ p: RTPPacketView) -> UInt32 { p.timestamp ^ UInt32(p.sequenceNumber) }
}

private func store16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
}

private func store32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
}

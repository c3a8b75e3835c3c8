import XCTest
@testable import RTP

/// RTCP packets one type at a time, over annotated bytes: parse, then
/// serialize back to the same bytes (RFC 3550 §6, RFC 4585, RFC 5104,
/// draft-alvestrand-rmcat-remb, draft-holmer-rmcat-transport-wide-cc-extensions-01).
final class RTCPTests: XCTestCase {
    /// Parses `bytes` as one packet, checks it serializes to the same bytes,
    /// and returns the decoded value.
    func roundTrip<V: RTCPSerializable & Equatable>(_ bytes: [UInt8], as: V.Type,
                                                     file: StaticString = #filePath, line: UInt = #line) throws -> V {
        let values = try decodeRTCP(bytes) { $0.value }
        XCTAssertEqual(values.count, 1, file: file, line: line)
        let value = try XCTUnwrap(values.first ?? nil as (any RTCPSerializable)?, file: file, line: line)
        let typed = try XCTUnwrap(value as? V, "decoded as \(type(of: value))", file: file, line: line)
        XCTAssertEqual(try serialized(typed), bytes, "serialize(parse(bytes)) != bytes", file: file, line: line)
        return typed
    }

    // MARK: RFC 3550 §6.4.1 / §6.4.2

    func testSenderReportWithoutBlocks() throws {
        let sr = try roundTrip(hex("""
            80 c8 00 06   // V=2 P=0 RC=0 | PT=SR=200 | length=6
            00 00 04 d2   // SSRC of sender = 1234
            e8 f0 a1 b2   // NTP MSW
            80 00 00 00   // NTP LSW (0.5 s)
            00 01 5f 90   // RTP timestamp = 90000
            00 00 00 64   // packet count = 100
            00 01 86 a0   // octet count = 100000
            """), as: SenderReport.self)
        XCTAssertEqual(sr.ssrc, 1234)
        XCTAssertEqual(sr.ntp.seconds, 0xE8F0_A1B2)
        XCTAssertEqual(sr.ntp.fraction, 0x8000_0000)
        XCTAssertEqual(sr.rtpTimestamp, 90000)
        XCTAssertEqual(sr.packetCount, 100)
        XCTAssertEqual(sr.octetCount, 100_000)
        XCTAssertEqual(sr.reports, [])
    }

    func testReceiverReportBlockFields() throws {
        let rr = try roundTrip(hex("""
            81 c9 00 07   // V=2 P=0 RC=1 | PT=RR=201 | length=7
            00 00 00 01   // SSRC of packet sender
            00 00 00 02   // SSRC_1
            40 ff ff ff   // fraction lost = 64/256 | cumulative lost = -1 (24-bit)
            00 02 00 10   // extended highest seq: 2 cycles, seq 16
            00 00 01 00   // jitter = 256
            12 34 56 78   // LSR
            00 00 80 00   // DLSR = 0.5 s
            """), as: ReceiverReport.self)
        XCTAssertEqual(rr.reports, [ReceptionReport(ssrc: 2, fractionLost: 64, cumulativeLost: -1,
                                                    extendedHighestSequence: 0x0002_0010, jitter: 256,
                                                    lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 0x8000)])
    }

    func testReceiverReportEmptyAndAllocationFreeWriter() throws {
        let bytes = hex("80 c9 00 01  00 00 00 2a")      // RC=0 | RR | length=1 | SSRC 42
        _ = try roundTrip(bytes, as: ReceiverReport.self)
        var out = [UInt8](repeating: 0, count: 64)
        let n = try out.withUnsafeMutableBytes { try ReceiverReport.serialize(ssrc: 42, report: nil, into: $0) }
        XCTAssertEqual(Array(out[..<n]), bytes)
        let block = ReceptionReport(ssrc: 7, fractionLost: 1, cumulativeLost: 2, extendedHighestSequence: 3)
        let m = try out.withUnsafeMutableBytes { try ReceiverReport.serialize(ssrc: 42, report: block, into: $0) }
        XCTAssertEqual(Array(out[..<m]), try serialized(ReceiverReport(ssrc: 42, reports: [block])))
    }

    func testSenderReportAllocationFreeWriterMatchesValue() throws {
        let ntp = NTPTimestamp(seconds: 1, fraction: 2)
        let block = ReceptionReport(ssrc: 9, jitter: 5)
        var out = [UInt8](repeating: 0, count: 64)
        let n = try out.withUnsafeMutableBytes {
            try SenderReport.serialize(ssrc: 3, ntp: ntp, rtpTimestamp: 4, packetCount: 5, octetCount: 6,
                                       report: block, into: $0)
        }
        XCTAssertEqual(Array(out[..<n]), try serialized(SenderReport(ssrc: 3, ntp: ntp, rtpTimestamp: 4, packetCount: 5,
                                                                     octetCount: 6, reports: [block])))
    }

    /// Cumulative loss beyond 24 bits is clamped when written (RFC 3550 §6.4.1).
    func testCumulativeLostClamps() throws {
        let big = ReceiverReport(ssrc: 1, reports: [ReceptionReport(ssrc: 2, cumulativeLost: 10_000_000)])
        let small = ReceiverReport(ssrc: 1, reports: [ReceptionReport(ssrc: 2, cumulativeLost: -10_000_000)])
        let b = try decodeRTCP(try serialized(big)) { $0.value as? ReceiverReport }
        let s = try decodeRTCP(try serialized(small)) { $0.value as? ReceiverReport }
        XCTAssertEqual(b.first??.reports.first?.cumulativeLost, 0x7F_FFFF)
        XCTAssertEqual(s.first??.reports.first?.cumulativeLost, -0x80_0000)
    }

    /// Profile-specific extensions after the blocks are skipped (§6.4.1).
    func testReportWithProfileExtension() throws {
        let values = try decodeRTCP(hex("""
            80 c9 00 02   // RC=0 | RR | length=2
            00 00 00 01   // SSRC
            de ad be ef   // profile-specific extension
            """)) { $0.value as? ReceiverReport }
        XCTAssertEqual(values, [ReceiverReport(ssrc: 1)])
    }

    // MARK: RFC 3550 §6.5 SDES, §6.6 BYE

    func testSDESTwoChunks() throws {
        let sdes = try roundTrip(hex("""
            82 ca 00 05   // V=2 P=0 SC=2 | PT=SDES=202 | length=5
            00 00 00 01   // chunk 1: SSRC 1
            01 03 61 62   // CNAME, 3 bytes: "abc"
            63 00 00 00   // ... END, padding
            00 00 00 02   // chunk 2: SSRC 2
            01 01 78 00   // CNAME "x", END (exactly at the word end: no more padding)
            """), as: SourceDescription.self)
        XCTAssertEqual(sdes.chunks.map(\.ssrc), [1, 2])
        XCTAssertEqual(sdes.chunks[0].items, [.init(type: 1, value: Array("abc".utf8))])
        XCTAssertEqual(sdes.chunks[1].items, [.init(type: 1, value: Array("x".utf8))])
    }

    /// Items fill the chunk exactly: END needs a whole extra word.
    func testSDESEndOnWordBoundary() throws {
        let sdes = try roundTrip(hex("""
            81 ca 00 03   // SC=1 | SDES | length=3
            00 00 00 01   // SSRC 1
            01 02 61 62   // CNAME "ab"
            00 00 00 00   // END + padding
            """), as: SourceDescription.self)
        XCTAssertEqual(sdes.chunks.first?.items.first?.value, Array("ab".utf8))
    }

    func testSDESMultipleItemsAndEmptyChunk() throws {
        let sdes = try roundTrip(hex("""
            82 ca 00 05   // SC=2 | SDES | length=5
            00 00 00 07   // SSRC 7
            01 01 61      // CNAME "a"
            02 02 62 63   // NAME "bc"
            00            // END (already on a word boundary)
            00 00 00 08   // SSRC 8, no items
            00 00 00 00   // END, padding
            """), as: SourceDescription.self)
        XCTAssertEqual(sdes.chunks[0].items.map(\.type), [1, 2])
        XCTAssertEqual(sdes.chunks[1].items, [])
    }

    func testByeWithReason() throws {
        let bye = try roundTrip(hex("""
            81 cb 00 03   // SC=1 | PT=BYE=203 | length=3
            00 00 00 09   // SSRC 9
            05 62 79 65   // reason length 5: "bye"
            21 21 00 00   // "!!", padding
            """), as: Goodbye.self)
        XCTAssertEqual(bye.ssrcs, [9])
        XCTAssertEqual(bye.reason, Array("bye!!".utf8))
    }

    func testByeWithoutSources() throws {
        let bye = try roundTrip(hex("80 cb 00 00"), as: Goodbye.self)
        XCTAssertEqual(bye, Goodbye(ssrcs: []))
    }

    // MARK: RFC 4585 / RFC 5104 feedback

    func testPLI() throws {
        let pli = try roundTrip(hex("""
            81 ce 00 02   // FMT=1 | PT=PSFB=206 | length=2
            00 00 00 01   // sender SSRC
            00 00 00 02   // media SSRC
            """), as: PictureLossIndication.self)
        XCTAssertEqual(pli, PictureLossIndication(senderSSRC: 1, mediaSSRC: 2))
    }

    func testFIRWithTwoEntries() throws {
        let fir = try roundTrip(hex("""
            84 ce 00 06   // FMT=4 | PT=206 | length=6
            00 00 00 01   // sender SSRC
            00 00 00 00   // media SSRC (unused)
            00 00 00 0a   // FCI 1: SSRC 10
            03 00 00 00   //        seq nr 3
            00 00 00 0b   // FCI 2: SSRC 11
            ff 00 00 00   //        seq nr 255
            """), as: FullIntraRequest.self)
        XCTAssertEqual(fir.entries, [.init(ssrc: 10, sequenceNumber: 3), .init(ssrc: 11, sequenceNumber: 255)])
        var out = [UInt8](repeating: 0, count: 32)
        let n = try out.withUnsafeMutableBytes {
            try FullIntraRequest.serialize(senderSSRC: 1, target: 10, sequenceNumber: 3, into: $0)
        }
        XCTAssertEqual(Array(out[..<n]), try serialized(FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 10, sequenceNumber: 3)])))
    }

    func testGenericNACK() throws {
        let nack = try roundTrip(hex("""
            81 cd 00 04   // FMT=1 | PT=RTPFB=205 | length=4
            00 00 00 01   // sender SSRC
            00 00 00 02   // media SSRC
            ff fe 80 01   // PID 65534, BLP bits 0 and 15: 65535, 14 (wrapped)
            00 10 00 00   // PID 16, BLP 0
            """), as: GenericNACK.self)
        XCTAssertEqual(nack.lostSequenceNumbers, [65534, 65535, 14, 16])
    }

    /// Building items from a lost list: PID + up to 16 following in BLP.
    func testNACKItemPackingTable() {
        let table: [([UInt16], [GenericNACK.Item])] = [
            ([5], [.init(packetID: 5, lostBitmask: 0)]),
            ([5, 6], [.init(packetID: 5, lostBitmask: 0x0001)]),
            ([5, 21], [.init(packetID: 5, lostBitmask: 0x8000)]),
            ([5, 22], [.init(packetID: 5, lostBitmask: 0), .init(packetID: 22, lostBitmask: 0)]),
            ([65535, 0, 1], [.init(packetID: 65535, lostBitmask: 0x0003)]),
            ([1, 1, 2], [.init(packetID: 1, lostBitmask: 0x0001)]),
            (Array(100...140), [.init(packetID: 100, lostBitmask: 0xFFFF), .init(packetID: 117, lostBitmask: 0xFFFF),
                                .init(packetID: 134, lostBitmask: 0x003F)]),
            ([], []),
        ]
        for (lost, items) in table {
            XCTAssertEqual(GenericNACK(senderSSRC: 0, mediaSSRC: 0, lost: lost).items, items, "\(lost)")
            let nack = GenericNACK(senderSSRC: 0, mediaSSRC: 0, items: items)
            var unique: [UInt16] = []
            for s in lost where unique.last != s { unique.append(s) }
            XCTAssertEqual(nack.lostSequenceNumbers, unique, "\(lost)")
        }
    }

    func testNACKAllocationFreeWriterMatchesValue() throws {
        let lost: [UInt16] = [10, 11, 12, 40, 41, 65000]
        var out = [UInt8](repeating: 0, count: 64)
        let n = try out.withUnsafeMutableBytes { raw in
            try lost.withUnsafeBufferPointer { try GenericNACK.serialize(senderSSRC: 1, mediaSSRC: 2, lost: $0, into: raw) }
        }
        XCTAssertEqual(Array(out[..<n]), try serialized(GenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: lost)))
    }

    func testREMB() throws {
        let remb = try roundTrip(hex("""
            8f ce 00 05   // FMT=15 | PT=206 | length=5
            00 00 00 01   // sender SSRC
            00 00 00 00   // media SSRC = 0
            52 45 4d 42   // "REMB"
            01 0e dc 6c   // num SSRC=1 | exp=3 | mantissa=187500 → 1.5 Mbit/s
            00 00 00 0a   // SSRC 10
            """), as: REMB.self)
        XCTAssertEqual(remb.bitrate, 1_500_000)
        XCTAssertEqual(remb.ssrcs, [10])
    }

    func testREMBEncodingTable() {
        let table: [(UInt64, UInt8, UInt32)] = [
            (0, 0, 0), (1, 0, 1), (262_143, 0, 262_143), (262_144, 1, 131_072),
            (1_500_000, 3, 187_500), (10_000_000_000, 16, 152_587),
        ]
        for (bitrate, exp, mantissa) in table {
            let e = REMB.encode(bitrate)
            XCTAssertEqual(e.exponent, exp, "\(bitrate)")
            XCTAssertEqual(e.mantissa, mantissa, "\(bitrate)")
            XCTAssertLessThanOrEqual(REMB.decode(exponent: e.exponent, mantissa: e.mantissa)!, bitrate)
        }
        XCTAssertNil(REMB.decode(exponent: 63, mantissa: 0x3_FFFF))
        XCTAssertEqual(REMB.decode(exponent: 46, mantissa: 0x3_FFFF), 0x3_FFFF << 46)
    }

    /// An AFB message that is not REMB is passed through as `.other`.
    func testAFBOtherThanREMB() throws {
        let kinds = try decodeRTCP(hex("""
            8f ce 00 03  00 00 00 01  00 00 00 00
            47 4f 4f 47   // "GOOG": not REMB
            """)) { packet -> Bool in if case .other = packet { return true } else { return false } }
        XCTAssertEqual(kinds, [true])
    }

    // MARK: Transport-wide CC feedback

    /// Run-length, 2-bit and 1-bit chunks; small, large and missing deltas;
    /// P=1 padding after the deltas.
    func testTransportCCFeedback() throws {
        let bytes = hex("""
            af cd 00 08   // V=2 P=1 FMT=15 | PT=205 | length=8
            00 00 00 01   // sender SSRC
            00 00 00 02   // media SSRC
            00 0a 00 0c   // base seq 10 | packet status count 12
            00 00 10 05   // reference time 16 (×64 ms) | fb pkt count 5
            20 04         // run length: S=01 (small delta) × 4  → seq 10–13
            e1 40         // 2-bit vector: large, not, small, small, not, not, not → 14–20
            a0 00         // 1-bit vector: received → 21 (13 unused symbols)
            04 01 02 03   // small deltas for 10–13
            ff 38         // large delta for 14: −200
            05 06         // small deltas for 16, 17
            07            // small delta for 21
            01            // padding count 1
            """)
        let parsed = try decodeRTCP(bytes) { packet -> TransportCCFeedback? in
            guard case .transportCC(let v) = packet else { return nil }
            return TransportCCFeedback(v)
        }
        let fb = try XCTUnwrap(parsed.first ?? nil)
        XCTAssertEqual(fb.baseSequenceNumber, 10)
        XCTAssertEqual(fb.referenceTime, 16)
        XCTAssertEqual(fb.feedbackPacketCount, 5)
        typealias S = TransportCCPacketStatus
        XCTAssertEqual(fb.packets, [
            S(sequenceNumber: 10, symbol: .smallDelta, delta: 4), S(sequenceNumber: 11, symbol: .smallDelta, delta: 1),
            S(sequenceNumber: 12, symbol: .smallDelta, delta: 2), S(sequenceNumber: 13, symbol: .smallDelta, delta: 3),
            S(sequenceNumber: 14, symbol: .largeDelta, delta: -200), S(sequenceNumber: 15, symbol: .notReceived, delta: 0),
            S(sequenceNumber: 16, symbol: .smallDelta, delta: 5), S(sequenceNumber: 17, symbol: .smallDelta, delta: 6),
            S(sequenceNumber: 18, symbol: .notReceived, delta: 0), S(sequenceNumber: 19, symbol: .notReceived, delta: 0),
            S(sequenceNumber: 20, symbol: .notReceived, delta: 0), S(sequenceNumber: 21, symbol: .smallDelta, delta: 7),
        ])
        XCTAssertEqual(fb.packets[4].deltaMicroseconds, -50_000)
    }

    /// Negative reference time, a not-received run, sequence wrap.
    func testTransportCCNegativeReferenceAndWrap() throws {
        let parsed = try decodeRTCP(hex("""
            8f cd 00 06   // P=0 FMT=15 | PT=205 | length=6
            00 00 00 01  00 00 00 02
            ff fe 00 03   // base seq 65534 | count 3
            ff ff f0 00   // reference time −16 | fb pkt count 0
            00 02         // run length: not received × 2 → 65534, 65535
            20 01         // run length: small × 1 → 0
            09 00 00 00   // delta 9, then zero fill
            """)) { packet -> TransportCCFeedback? in
            guard case .transportCC(let v) = packet else { return nil }
            return TransportCCFeedback(v)
        }
        let fb = try XCTUnwrap(parsed.first ?? nil)
        XCTAssertEqual(fb.referenceTime, -16)
        XCTAssertEqual(fb.packets.map(\.sequenceNumber), [65534, 65535, 0])
        XCTAssertEqual(fb.packets.map(\.delta), [0, 0, 9])
    }

    // MARK: Compounds and reduced size

    /// RFC 5506: a lone feedback packet, not starting with SR/RR, parses.
    func testReducedSizeSinglePackets() throws {
        for bytes in [hex("81 ce 00 02 00 00 00 01 00 00 00 02"),
                      hex("81 cd 00 03 00 00 00 01 00 00 00 02 00 05 00 00")] {
            XCTAssertEqual(try decodeRTCP(bytes) { _ in 1 }.count, 1)
        }
    }

    /// A browser-like compound: RR + SDES + PLI + NACK + REMB built with the
    /// writer, read back in order.
    func testCompoundWriterAndReader() throws {
        var out = [UInt8](repeating: 0, count: 256)
        let written = try out.withUnsafeMutableBytes { raw -> Int in
            var w = RTCPWriter(raw)
            try w.append(ReceiverReport(ssrc: 1, reports: [ReceptionReport(ssrc: 2)]))
            try w.append(SourceDescription(ssrc: 1, cname: "viewer"))
            try w.append(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2))
            let lost: [UInt16] = [7, 9]
            let n = try lost.withUnsafeBufferPointer {
                try GenericNACK.serialize(senderSSRC: 1, mediaSSRC: 2, lost: $0, into: w.remaining)
            }
            w.advance(by: n)
            let ssrcs: [UInt32] = [2]
            let m = try ssrcs.withUnsafeBufferPointer {
                try REMB.serialize(senderSSRC: 1, bitrate: 300_000, ssrcs: $0, into: w.remaining)
            }
            w.advance(by: m)
            return w.count
        }
        let kinds = try decodeRTCP(Array(out[..<written])) { packet -> String in
            switch packet {
            case .receiverReport: return "RR"
            case .sourceDescription: return "SDES"
            case .pictureLossIndication: return "PLI"
            case .genericNACK(let v): var l: [UInt16] = []; v.forEachLost { l.append($0) }; return "NACK\(l)"
            case .remb(let v): return "REMB\(v.bitrate)"
            default: return "?"
            }
        }
        XCTAssertEqual(kinds, ["RR", "SDES", "PLI", "NACK[7, 9]", "REMB300000"])
    }

    func testSerializeIntoTooSmallBuffer() {
        var out = [UInt8](repeating: 0, count: 8)
        out.withUnsafeMutableBytes { raw in
            do throws(RTCPError) {
                _ = try PictureLossIndication(senderSSRC: 1, mediaSSRC: 2).serialize(into: raw)
                XCTFail("wrote into a too small buffer")
            } catch {
                XCTAssertEqual(error, .bufferTooSmall(needed: 12, available: 8))
            }
        }
        let tooMany = ReceiverReport(ssrc: 1, reports: Array(repeating: ReceptionReport(ssrc: 2), count: 32))
        XCTAssertThrowsError(try serialized(tooMany)) { XCTAssertEqual($0 as? RTCPError, .tooManyItems(32)) }
        XCTAssertThrowsError(try serialized(GenericNACK(senderSSRC: 1, mediaSSRC: 2, items: []))) {
            XCTAssertEqual($0 as? RTCPError, .emptyFeedback(packetType: 205, format: 1))
        }
    }
}

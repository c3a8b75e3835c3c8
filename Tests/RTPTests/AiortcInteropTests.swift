import XCTest
@testable import RTP

/// Bytes produced by an independent implementation — aiortc 1.16.0's own
/// serializers (PyPI `aiortc`; generator: Interop/aiortc_reference.py) —
/// must parse to the values it was given, and our serializers must produce
/// the same bytes from those values. This checks interoperability, not code.
final class AiortcInteropTests: XCTestCase {
    static let vectors: [String: [UInt8]] = [
        "sr": hex("82c8001201020304e8f0a1b2c3d4e5f6deadbeef000003e80012d687112233442afffffd0001abcd0000007b89abcdef00010000556677880001117000020001000000000000000000000000"),
        "rr": hex("81c900070a0b0c0d112233442afffffd0001abcd0000007b89abcdef00010000"),
        "sdes": hex("81ca000601020304010f7b39633161326233632d616161617d000000"),
        "bye": hex("82cb00020102030405060708"),
        "nack": hex("81cd0006010203040a0b0c0d006480050075000000c80000fffe0001"),
        "pli": hex("81ce0002010203040a0b0c0d"),
        "fir": hex("84ce000401020304000000000a0b0c0d07000000"),
        "remb": hex("8fce0006010203040000000052454d42020edc6c0a0b0c0d11223344"),
    ]

    static let report = ReceptionReport(ssrc: 0x1122_3344, fractionLost: 42, cumulativeLost: -3,
                                        extendedHighestSequence: 0x0001_ABCD, jitter: 123,
                                        lastSenderReport: 0x89AB_CDEF, delaySinceLastSenderReport: 0x0001_0000)
    static let report2 = ReceptionReport(ssrc: 0x5566_7788, fractionLost: 0, cumulativeLost: 70000,
                                         extendedHighestSequence: 0x0002_0001)

    /// The values aiortc was given for each vector.
    static let values: [String: any RTCPSerializable] = [
        "sr": SenderReport(ssrc: 0x0102_0304, ntp: NTPTimestamp(raw: 0xE8F0_A1B2_C3D4_E5F6), rtpTimestamp: 0xDEAD_BEEF,
                           packetCount: 1000, octetCount: 1_234_567, reports: [report, report2]),
        "rr": ReceiverReport(ssrc: 0x0A0B_0C0D, reports: [report]),
        "sdes": SourceDescription(ssrc: 0x0102_0304, cname: "{9c1a2b3c-aaaa}"),
        "bye": Goodbye(ssrcs: [0x0102_0304, 0x0506_0708]),
        "nack": GenericNACK(senderSSRC: 0x0102_0304, mediaSSRC: 0x0A0B_0C0D,
                            lost: [100, 101, 103, 116, 117, 200, 65534, 65535]),
        "pli": PictureLossIndication(senderSSRC: 0x0102_0304, mediaSSRC: 0x0A0B_0C0D),
        "fir": FullIntraRequest(senderSSRC: 0x0102_0304, entries: [.init(ssrc: 0x0A0B_0C0D, sequenceNumber: 7)]),
        "remb": REMB(senderSSRC: 0x0102_0304, bitrate: 1_500_000, ssrcs: [0x0A0B_0C0D, 0x1122_3344]),
    ]

    func testParseMatchesAiortcValues() throws {
        for (name, bytes) in Self.vectors {
            let decoded = try decodeRTCP(bytes) { $0.value }
            XCTAssertEqual(decoded.count, 1, name)
            let value = try XCTUnwrap(decoded.first ?? nil, name)
            XCTAssertEqual(AnyHashable(value as! AnyHashable), AnyHashable(Self.values[name]! as! AnyHashable), name)
        }
    }

    func testSerializeMatchesAiortcBytes() throws {
        for (name, value) in Self.values {
            XCTAssertEqual(try serialized(value), Self.vectors[name], name)
        }
    }

    func testNACKExpandsToAiortcLostList() throws {
        let lost = try decodeRTCP(Self.vectors["nack"]!) { packet -> [UInt16] in
            guard case .genericNACK(let v) = packet else { return [] }
            var out: [UInt16] = []
            v.forEachLost { out.append($0) }
            return out
        }
        XCTAssertEqual(lost, [[100, 101, 103, 116, 117, 200, 65534, 65535]])
    }

    /// A compound as aiortc sends it: SR then SDES (RFC 3550 §6.1).
    func testCompoundSRAndSDES() throws {
        let kinds = try decodeRTCP(Self.vectors["sr"]! + Self.vectors["sdes"]!) { packet -> String in
            switch packet {
            case .senderReport: return "SR"
            case .sourceDescription(let v):
                return String(decoding: v.cname(of: 0x0102_0304) ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self)
            default: return "?"
            }
        }
        XCTAssertEqual(kinds, ["SR", "{9c1a2b3c-aaaa}"])
    }

    /// aiortc's RTP packet with mid, abs-send-time and transport-cc in the
    /// one-byte form.
    func testAiortcRTPWithExtensions() throws {
        var bytes = hex("""
            90 e0 10 92   // V=2 X=1 | M=1 PT=96 | seq=4242
            00 01 5f 90   // ts=90000
            01 02 03 04   // SSRC
            be de 00 03   // one-byte form, 3 words
            10 30         // id=1 (mid) "0"
            32 12 34 56   // id=3 abs-send-time
            51 01 02      // id=5 transport-wide seq 0x0102
            00 00 00      // padding
            90 80 a0 01 00 00   // payload (VP8 descriptor ...)
            """)
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.sequenceNumber, 4242)
            XCTAssertEqual(p.timestamp, 90000)
            XCTAssertTrue(p.marker)
            XCTAssertEqual(p.extensionData(id: 1).map(Array.init), Array("0".utf8))
            XCTAssertEqual(p.extensionData(id: 3).map(Array.init), [0x12, 0x34, 0x56])
            XCTAssertEqual(p.extensionData(id: 5).map(Array.init), [0x01, 0x02])
            XCTAssertEqual(p.payloadLength, 6)
            // A Chrome viewer with mid=4, abs-send-time=2, transport-cc=3.
            p.rewriteExtensionIDs(ExtensionIDMap([(from: 1, to: 4), (from: 3, to: 2), (from: 5, to: 3)]))
            XCTAssertEqual(p.extensionData(id: 3).map(Array.init), [0x01, 0x02])
            XCTAssertEqual(p.extensionData(id: 2).map(Array.init), [0x12, 0x34, 0x56])
        }
    }
}

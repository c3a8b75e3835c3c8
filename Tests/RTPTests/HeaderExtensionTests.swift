import XCTest
@testable import RTP

/// RFC 8285 header extensions: finding elements and rewriting ids in place.
final class HeaderExtensionTests: XCTestCase {
    /// A Chrome-like video packet with a one-byte extension block.
    let oneByte: [UInt8] = hex("""
        90 60 00 01   // V=2 P=0 X=1 CC=0 | M=0 PT=96 | seq=1
        00 00 0b b8   // ts=3000
        11 22 33 44   // SSRC
        be de 00 03   // one-byte form (RFC 8285 §4.2), 3 words
        22 aa bb cc   // id=2 L=2 (3 bytes): abs-send-time
        31 00 2a      // id=3 L=1 (2 bytes): transport-wide seq 42
        10 7f         // id=1 L=0 (1 byte): audio level style
        00 00 00      // padding
        90 01 02      // payload: VP8 descriptor X=1 S=1, ...
        """)

    /// The same elements in the two-byte form (RFC 8285 §4.3).
    let twoByte: [UInt8] = hex("""
        90 60 00 01  00 00 0b b8  11 22 33 44
        10 00 00 03   // two-byte form, appbits 0, 3 words
        02 03 aa bb cc  // id=2 len=3
        03 02 00 2a     // id=3 len=2
        00 00 00        // padding
        90 01 02
        """)

    func testFindInOneByteForm() throws {
        try withRTP(oneByte) { p in
            XCTAssertEqual(p.extensionForm, .oneByte)
            XCTAssertEqual(p.payloadOffset, 28)
            XCTAssertEqual(p.extensionData(id: 2).map(Array.init), [0xaa, 0xbb, 0xcc])
            XCTAssertEqual(p.extensionData(id: 3).map(Array.init), [0x00, 0x2a])
            XCTAssertEqual(p.extensionData(id: 1).map(Array.init), [0x7f])
            XCTAssertNil(p.extensionData(id: 4))
            XCTAssertNil(p.extensionData(id: 0))
            var ids: [UInt8] = []
            var it = p.extensions
            while let e = it.next() { ids.append(e.id) }
            XCTAssertEqual(ids, [2, 3, 1])
        }
    }

    func testFindInTwoByteForm() throws {
        try withRTP(twoByte) { p in
            XCTAssertEqual(p.extensionForm, .twoByte(appBits: 0))
            XCTAssertEqual(p.extensionData(id: 2).map(Array.init), [0xaa, 0xbb, 0xcc])
            XCTAssertEqual(p.extensionData(id: 3).map(Array.init), [0x00, 0x2a])
        }
    }

    func testWritingThroughExtensionDataChangesThePacket() throws {
        var bytes = oneByte
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            let twcc = try XCTUnwrap(p.extensionData(id: 3))
            store16(twcc.baseAddress!, 0, 0x0102)        // per-viewer transport-wide seq
        }
        XCTAssertEqual(Array(bytes[20..<23]), [0x31, 0x01, 0x02])
    }

    /// Mapped ids are rewritten; an id the viewer did not negotiate becomes
    /// padding (header and data zeroed), nothing moves.
    func testRewriteOneByte() throws {
        var bytes = oneByte
        let map = ExtensionIDMap([(from: 2, to: 3), (from: 3, to: 5)])   // 1 not negotiated
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.rewriteExtensionIDs(map), 1)
        }
        XCTAssertEqual(bytes, hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 03
            32 aa bb cc   // id 2 → 3
            51 00 2a      // id 3 → 5
            00 00         // id 1 → padding
            00 00 00
            90 01 02
            """))
        try withRTP(bytes) { p in
            XCTAssertEqual(p.extensionData(id: 5).map(Array.init), [0x00, 0x2a])
            XCTAssertNil(p.extensionData(id: 1))
        }
    }

    /// The one-byte form cannot carry ids above 14: such elements become padding.
    func testRewriteOneByteToUnrepresentableID() throws {
        var bytes = oneByte
        let map = ExtensionIDMap([(from: 2, to: 15), (from: 3, to: 200), (from: 1, to: 1)])
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.rewriteExtensionIDs(map), 2)
        }
        XCTAssertEqual(Array(bytes[16..<28]), hex("00 00 00 00  00 00 00  10 7f  00 00 00"))
    }

    func testRewriteTwoByte() throws {
        var bytes = twoByte
        let map = ExtensionIDMap([(from: 2, to: 200)])
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.rewriteExtensionIDs(map), 1)
        }
        XCTAssertEqual(Array(bytes[16..<28]), hex("c8 03 aa bb cc  00 00 00 00  00 00 00"))
    }

    func testIdentityMapChangesNothing() throws {
        var bytes = oneByte
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.rewriteExtensionIDs(.identity), 0)
        }
        XCTAssertEqual(bytes, oneByte)
    }

    /// RFC 8285 §4.2: id 15 stops processing; what follows is not touched.
    func testOneByteID15StopsProcessing() throws {
        var bytes = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 02
            20 01     // id=2 L=0
            f0        // id=15: stop
            30 02     // id=3: never reached
            00 00 00
            """)
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertNil(p.extensionData(id: 3))
            XCTAssertEqual(p.rewriteExtensionIDs(ExtensionIDMap([(from: 2, to: 4), (from: 3, to: 5)])), 0)
        }
        XCTAssertEqual(Array(bytes[16..<24]), hex("40 01  f0  30 02  00 00 00"))
    }

    /// An element running past the block ends the walk; nothing after it is
    /// read or written.
    func testTruncatedElementEndsTheWalk() throws {
        var bytes = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 01
            10 aa      // id=1 L=0
            2f 00      // id=2 L=15 (16 bytes): past the block
            """)
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertNotNil(p.extensionData(id: 1))
            XCTAssertNil(p.extensionData(id: 2))
            p.rewriteExtensionIDs(ExtensionIDMap([(from: 1, to: 7)]))
        }
        XCTAssertEqual(Array(bytes[16..<20]), hex("70 aa 2f 00"))
    }

    /// Extensions of other profiles are neither read nor rewritten.
    func testOtherProfileLeftAlone() throws {
        var bytes = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            ab cd 00 01  12 34 56 78
            """)
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.extensionForm, .other(profile: 0xABCD))
            XCTAssertNil(p.extensionData(id: 1))
            XCTAssertEqual(p.rewriteExtensionIDs(ExtensionIDMap()), 0)
        }
        XCTAssertEqual(Array(bytes[16...]), hex("12 34 56 78"))
    }

    func testEmptyMapPadsEverything() throws {
        var bytes = twoByte
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.rewriteExtensionIDs(ExtensionIDMap()), 2)
            var it = p.extensions
            XCTAssertNil(it.next())
        }
    }

    /// Fuzz regression (fuzz/corpus/rtp/regress-onebyte-id0-with-length): in
    /// the one-byte form a byte with id 0 is one byte of padding whatever its
    /// length nibble; it is never returned as an element with id 0.
    func testOneByteID0WithLengthIsPadding() throws {
        var bytes = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 02
            00 01 00 00   // padding, id-0 byte with length nibble 1, padding
            0b b8 00 00   // id 0 again, then id 11 L=8 would run past: never read
            """)
        try bytes.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            var it = p.extensions
            XCTAssertNil(it.next())
            XCTAssertNil(p.extensionData(id: 0))
            XCTAssertEqual(p.rewriteExtensionIDs(ExtensionIDMap()), 0)
        }
        var mixed = hex("""
            90 60 00 01  00 00 0b b8  11 22 33 44
            be de 00 01
            05 20 aa 00   // id-0 byte with length 5 (padding), id=2 L=0 "aa", padding
            """)
        try mixed.withUnsafeMutableBytes { raw in
            let p = try RTPPacketView(validating: raw.baseAddress!, length: raw.count)
            XCTAssertEqual(p.extensionData(id: 2).map(Array.init), [0xaa])
            p.rewriteExtensionIDs(ExtensionIDMap([(from: 2, to: 9)]))
        }
        XCTAssertEqual(Array(mixed[16...]), hex("05 90 aa 00"))
    }
}

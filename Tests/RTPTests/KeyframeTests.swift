import XCTest
@testable import RTP

/// Keyframe detection and descriptor parsing over real-looking payloads.
final class KeyframeTests: XCTestCase {
    func vp8(_ bytes: [UInt8]) -> VP8PayloadDescriptor? { bytes.withUnsafeBytes { VP8PayloadDescriptor.parse($0) } }
    func vp9(_ bytes: [UInt8]) -> VP9PayloadDescriptor? { bytes.withUnsafeBytes { VP9PayloadDescriptor.parse($0) } }
    func isKey(_ codec: VideoCodec, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Keyframe.isKeyframe(codec, payload: $0) }
    }

    // MARK: VP8 (RFC 7741 §4.2, §4.3)

    /// First packet of a Chrome 640×480 key frame.
    let vp8Key = hex("""
        90            // X=1 R=0 N=0 S=1 R=0 PID=0
        80            // I=1 L=0 T=0 K=0
        9a 2b         // M=1, picture id 0x1a2b
        10 02 00      // frame tag: P=0 (key frame), version 0, show_frame=1
        9d 01 2a      // start code
        80 02 e0 01   // width 640, height 480 (14 bits, little endian)
        """)

    func testVP8Keyframe() throws {
        let d = try XCTUnwrap(vp8(vp8Key))
        XCTAssertTrue(d.isKeyframe)
        XCTAssertTrue(d.startOfPartition)
        XCTAssertEqual(d.partitionIndex, 0)
        XCTAssertEqual(d.pictureID, 0x1a2b)
        XCTAssertTrue(d.pictureIDIs15Bit)
        XCTAssertEqual(d.descriptorLength, 4)
        XCTAssertEqual(d.width, 640)
        XCTAssertEqual(d.height, 480)
        XCTAssertNil(d.tl0PicIdx)
        XCTAssertTrue(isKey(.vp8, vp8Key))
    }

    func testVP8Table() {
        let table: [(String, [UInt8], Bool)] = [
            ("inter frame (P=1)", hex("90 80 9a 2c 31 02 00"), false),
            ("key frame continuation (S=0)", hex("80 80 9a 2b 00 11 22"), false),
            ("second partition start (PID=1)", hex("91 80 9a 2b 10 02 00"), false),
            ("no extension, key frame", hex("10 10 02 00 9d 01 2a 80 02 e0 01"), true),
            ("no extension, inter frame", hex("10 31 02 00"), false),
            ("non-reference inter frame (N=1)", hex("b0 80 9a 2b 31 00 00"), false),
            ("key frame without room for the size", hex("90 80 9a 2b 10 02 00"), true),
            ("truncated after X", hex("90"), false),
            ("truncated picture id", hex("90 80 9a"), false),
            ("descriptor with no payload", hex("90 80 9a 2b"), false),
            ("empty", [], false),
        ]
        for (name, bytes, key) in table { XCTAssertEqual(isKey(.vp8, bytes), key, name) }
        XCTAssertNil(vp8(hex("90 80 9a")))
        XCTAssertNil(vp8([]))
    }

    func testVP8TemporalLayerFields() throws {
        let d = try XCTUnwrap(vp8(hex("""
            90            // X=1 S=1 PID=0
            f0            // I=1 L=1 T=1 K=1
            05            // M=0, picture id 5
            21            // TL0PICIDX 33
            a3            // TID=2 Y=1 KEYIDX=3
            31 00 00      // inter frame
            """)))
        XCTAssertEqual(d.pictureID, 5)
        XCTAssertFalse(d.pictureIDIs15Bit)
        XCTAssertEqual(d.tl0PicIdx, 0x21)
        XCTAssertEqual(d.temporalLayer, 2)
        XCTAssertTrue(d.layerSync)
        XCTAssertEqual(d.keyIndex, 3)
        XCTAssertEqual(d.descriptorLength, 5)
        XCTAssertFalse(d.isKeyframe)
    }

    func testVP8PictureIDRewriteInPlace() throws {
        var bytes = vp8Key
        try bytes.withUnsafeMutableBytes { raw in
            let d = try XCTUnwrap(VP8PayloadDescriptor.parse(UnsafeRawBufferPointer(raw)))
            d.setPictureID(0x7fff, in: raw)
        }
        XCTAssertEqual(Array(bytes[2..<4]), [0xff, 0xff])
        var short = hex("90 c0 05 21 31 00 00")               // 7-bit id 5, TL0PICIDX 0x21
        try short.withUnsafeMutableBytes { raw in
            let d = try XCTUnwrap(VP8PayloadDescriptor.parse(UnsafeRawBufferPointer(raw)))
            d.setPictureID(0x85, in: raw)                    // keeps 7 bits
            d.setTL0PicIdx(0x22, in: raw)
        }
        XCTAssertEqual(short, hex("90 c0 05 22 31 00 00"))
    }

    // MARK: VP9 (RFC 9628 §4.2)

    /// Non-flexible key frame with a scalability structure, one spatial layer.
    let vp9Key = hex("""
        8a            // I=1 P=0 L=0 F=0 B=1 E=0 V=1 Z=0
        92 34         // M=1, picture id 0x1234
        18            // SS: N_S=0 (1 layer), Y=1, G=1
        02 80 01 e0   // width 640, height 480
        01            // N_G = 1
        00            // T=0 U=0 R=0
        82 49 83 42   // VP9 frame (frame marker, key frame ...)
        """)

    func testVP9KeyframeWithScalabilityStructure() throws {
        let d = try XCTUnwrap(vp9(vp9Key))
        XCTAssertTrue(d.isKeyframe)
        XCTAssertEqual(d.pictureID, 0x1234)
        XCTAssertTrue(d.hasScalabilityStructure)
        XCTAssertEqual(d.spatialLayerCount, 1)
        XCTAssertEqual(d.width, 640)
        XCTAssertEqual(d.height, 480)
        XCTAssertEqual(d.descriptorLength, 10)
        XCTAssertTrue(isKey(.vp9, vp9Key))
    }

    func testVP9FlexibleModeReferences() throws {
        let d = try XCTUnwrap(vp9(hex("""
            fc            // I=1 P=1 L=1 F=1 B=1 E=1 V=0 Z=0
            11            // picture id 17
            23            // TID=1 U=0 SID=1 D=1
            03 04         // P_DIFF 1 (N=1), P_DIFF 2 (N=0)
            aa bb         // frame data
            """)))
        XCTAssertTrue(d.flexibleMode)
        XCTAssertEqual(d.temporalLayer, 1)
        XCTAssertEqual(d.spatialLayer, 1)
        XCTAssertTrue(d.interLayerDependency)
        XCTAssertEqual(d.referenceCount, 2)
        XCTAssertEqual(d.descriptorLength, 5)
        XCTAssertNil(d.tl0PicIdx)
        XCTAssertFalse(d.isKeyframe)
    }

    func testVP9Table() {
        let table: [(String, [UInt8], Bool)] = [
            ("inter frame (P=1)", hex("c8 92 35 00 00"), false),
            ("key frame, base spatial layer, non-flexible", hex("a8 05 00 07 82 49"), true),
            ("key frame picture, spatial layer 1", hex("a8 05 03 07 82 49"), false),
            ("key frame continuation (B=0)", hex("80 05 00 00"), false),
            ("no picture id, key frame start", hex("08 82 49"), true),
            ("truncated picture id", hex("80"), false),
            ("truncated 15-bit picture id", hex("88 92"), false),
            ("missing TL0PICIDX", hex("a8 05 00"), false),
            ("four P_DIFFs (max 3)", hex("d8 05 03 03 03 03 00"), false),
            ("SS sizes truncated", hex("8a 92 34 38 02 80"), false),
            ("SS picture group truncated", hex("8a 92 34 08 02 04"), false),
        ]
        for (name, bytes, key) in table { XCTAssertEqual(isKey(.vp9, bytes), key, name) }
    }

    // MARK: H.264 (RFC 6184)

    func testH264Table() {
        let table: [(String, [UInt8], Bool)] = [
            ("single NAL: IDR slice (type 5)", hex("65 88 84 00 33 ff"), true),
            ("single NAL: SPS (type 7)", hex("67 42 c0 1f 8c 8d 40"), true),
            ("single NAL: non-IDR slice (type 1)", hex("41 9a 24 6c"), false),
            ("single NAL: PPS alone", hex("68 ce 3c 80"), false),
            ("STAP-A: SPS + PPS", hex("""
                78            // STAP-A (type 24, NRI 3)
                00 07  67 42 c0 1f 8c 8d 40   // SPS
                00 04  68 ce 3c 80            // PPS
                """), true),
            ("STAP-A: SEI + PPS", hex("78 00 03 06 05 ff 00 04 68 ce 3c 80"), false),
            ("STAP-A: IDR as second unit", hex("78 00 02 06 05 00 03 65 88 84"), true),
            ("STAP-A: size past the end", hex("78 00 20 67 42"), false),
            ("STAP-A: zero size", hex("78 00 00 67 42"), false),
            ("FU-A: start of an IDR", hex("7c 85 88 84 00"), true),
            ("FU-A: middle of an IDR", hex("7c 05 aa bb"), false),
            ("FU-A: end of an IDR", hex("7c 45 aa bb"), false),
            ("FU-A: start of a non-IDR", hex("7c 81 9a 24"), false),
            ("FU-A: truncated", hex("7c"), false),
            ("empty", [], false),
        ]
        for (name, bytes, key) in table { XCTAssertEqual(isKey(.h264, bytes), key, name) }
    }

    // MARK: AV1 (AV1 RTP payload format §4.4)

    func testAV1Table() {
        let table: [(String, [UInt8], Bool)] = [
            ("N=1: new coded video sequence", hex("18 0a 0b 00 00 00 24 4f 7f"), true),   // Z0 Y0 W1 N1, sequence header OBU
            ("N=0", hex("10 32 aa"), false),
            ("N=1 but Z=1 (cannot be first)", hex("88 00"), false),
            ("empty", [], false),
        ]
        for (name, bytes, key) in table { XCTAssertEqual(isKey(.av1, bytes), key, name) }
        let h = AV1AggregationHeader(raw: 0x58)
        XCTAssertTrue(h.lastOBUContinues)
        XCTAssertEqual(h.obuCount, 1)
        XCTAssertTrue(h.startsNewCodedVideoSequence)
    }
}

import XCTest
@testable import Recorder

/// RFC 6716 §3.1 (TOC config → frame size) and §3.2 (frame count codes).
final class OpusPacketTests: XCTestCase {
    func testFrameSizesPerConfig() {
        // config 1: SILK NB 20 ms; 3: SILK 60 ms; 13: hybrid FB... 13 = Hybrid SWB 20 ms; 16: CELT NB 2.5 ms; 31: CELT FB 20 ms
        XCTAssertEqual(OpusPacket.sampleCount([1 << 3]), 960)
        XCTAssertEqual(OpusPacket.sampleCount([3 << 3]), 2880)
        XCTAssertEqual(OpusPacket.sampleCount([12 << 3]), 480)
        XCTAssertEqual(OpusPacket.sampleCount([13 << 3]), 960)
        XCTAssertEqual(OpusPacket.sampleCount([16 << 3]), 120)
        XCTAssertEqual(OpusPacket.sampleCount([0xF8]), 960)   // config 31, mono, code 0
        XCTAssertEqual(OpusPacket.sampleCount([0xFC]), 960)   // stereo bit does not change duration
    }

    func testFrameCountCodes() {
        XCTAssertEqual(OpusPacket.sampleCount([0xF8 | 1, 0, 0]), 1920)         // code 1: two CBR frames
        XCTAssertEqual(OpusPacket.sampleCount([0xF8 | 2, 1, 0, 0]), 1920)      // code 2: two VBR frames
        XCTAssertEqual(OpusPacket.sampleCount([0xF8 | 3, 0x83, 0]), 2880)      // code 3: M = 3 (VBR bit set)
        XCTAssertEqual(OpusPacket.sampleCount([(16 << 3) | 3, 48]), 5760)      // 48 × 2.5 ms = 120 ms, the maximum
    }

    func testInvalid() {
        XCTAssertNil(OpusPacket.sampleCount([UInt8]()))
        XCTAssertNil(OpusPacket.sampleCount([0xF8 | 3]))          // code 3 without frame count byte
        XCTAssertNil(OpusPacket.sampleCount([0xF8 | 3, 0]))       // M = 0
        XCTAssertNil(OpusPacket.sampleCount([0xF8 | 3, 7]))       // 7 × 20 ms > 120 ms
    }
}

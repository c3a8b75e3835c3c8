// Table tests of the depacketizers over annotated RTP payloads.
import XCTest
@testable import Recorder

/// Feeds (payload, timestamp, marker) rows and collects frames; a nil row is a loss.
func feed<D: RTPDepacketizer>(_ d: inout D, _ rows: [([UInt8], UInt32, Bool)?]) -> (frames: [DepacketizedFrame], errors: [DepacketizeError]) {
    var frames: [DepacketizedFrame] = [], errors: [DepacketizeError] = []
    for row in rows {
        guard let (p, ts, m) = row else { d.lose(); continue }
        do { frames += try p.withUnsafeBytes { (b) throws(DepacketizeError) in try d.push(payload: b, timestamp: ts, marker: m) } }
        catch { errors.append(error as! DepacketizeError) }
    }
    return (frames, errors)
}

final class VP8DepacketizerTests: XCTestCase {
    // VP8 keyframe payload header: size0|H|VER|P=0, size1, size2, 9d 01 2a, width 320 LE, height 240 LE.
    let keyHeader: [UInt8] = [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xF0, 0x00]

    func testKeyframeOverTwoPacketsWithPictureID() {
        var d = VP8Depacketizer()
        let r = feed(&d, [
            ([0x90, 0x80, 0x81, 0x23] + keyHeader, 1000, false), // X=1 S=1 PID=0 | I=1 | M=1 picture id 0x0123
            ([0x80, 0x80, 0x81, 0x23, 0xAA, 0xBB], 1000, true),  // X=1 S=0 | same picture id, marker
        ])
        XCTAssertEqual(r.frames, [DepacketizedFrame(data: keyHeader + [0xAA, 0xBB], rtpTimestamp: 1000, keyframe: true,
                                                    width: 320, height: 240)])
    }

    func testDeltaFrameWithoutMarkerEndsAtNextTimestamp() {
        var d = VP8Depacketizer()
        let r = feed(&d, [
            ([0x10, 0x01, 0x02], 3000, false),   // S=1 PID=0, P=1 (delta)
            ([0x10, 0x03], 6000, true),          // next frame starts: the previous one is complete
        ])
        XCTAssertEqual(r.frames.map(\.data), [[0x01, 0x02], [0x03]])
        XCTAssertEqual(r.frames.map(\.keyframe), [false, false])
    }

    func testLostStartDropsTheFrame() {
        var d = VP8Depacketizer()
        let r = feed(&d, [
            ([0x10, 0x01], 3000, false), nil,    // the rest of this frame is lost
            ([0x00, 0x05], 3000, true),          // S=0: continuation of a frame whose start... was seen, but a loss intervened
            ([0x10, 0x07], 6000, true),
        ])
        XCTAssertEqual(r.frames.map(\.data), [[0x07]])
    }

    func testTruncatedDescriptorIsAnError() {
        var d = VP8Depacketizer()
        XCTAssertEqual(feed(&d, [([0x80], 1, true)]).errors, [.truncated])  // X=1 but no extension byte
    }
}

final class VP9DepacketizerTests: XCTestCase {
    func testNonFlexibleKeyframeWithSSAndTwoPackets() {
        var d = VP9Depacketizer()
        let r = feed(&d, [
            // I=1 P=0 L=0 F=0 B=1 E=0 V=1 | picture id 5 | SS: N_S=0 Y=1 G=0 | 640 × 360
            ([0x8A, 0x05, 0x10, 0x02, 0x80, 0x01, 0x68, 0x82, 0x49], 90_000, false),
            ([0x84, 0x05, 0x83], 90_000, true),   // I=1 E=1
        ])
        XCTAssertEqual(r.frames, [DepacketizedFrame(data: [0x82, 0x49, 0x83], rtpTimestamp: 90_000, keyframe: true,
                                                    width: 640, height: 360)])
    }

    func testFlexibleInterFrame() {
        var d = VP9Depacketizer()
        // I=0 P=1 L=0 F=1 B=1 E=1 | P_DIFF=1 N=0
        let r = feed(&d, [([0x5C, 0x02, 0x86, 0x00], 3000, true)])
        XCTAssertEqual(r.frames.map(\.keyframe), [false])
        XCTAssertEqual(r.frames.map(\.data), [[0x86, 0x00]])
    }

    func testTwoSpatialLayersBecomeASuperframe() {
        var d = VP9Depacketizer()
        let r = feed(&d, [
            ([0x2C, 0x00, 0x00, 0xA1, 0xA2], 100, false),  // L=1 B E, SID 0, TL0PICIDX 0: 2 bytes
            ([0x2C, 0x02, 0x00, 0xB1, 0xB2, 0xB3], 100, true),  // SID 1: 3 bytes
        ])
        XCTAssertEqual(r.frames.map(\.data), [[0xA1, 0xA2, 0xB1, 0xB2, 0xB3, 0xC1, 2, 3, 0xC1]])  // index: 1-byte sizes, 2 frames
        XCTAssertEqual(r.frames.first?.keyframe, true)
    }

    func testLayerFrameWithoutEndIsDropped() {
        var d = VP9Depacketizer()
        let r = feed(&d, [([0x08, 0x01], 100, false), nil, ([0x04, 0x02], 100, true), ([0x0C, 0x03], 200, true)])
        XCTAssertEqual(r.frames.map(\.data), [[0x03]])
    }
}

final class H264DepacketizerTests: XCTestCase {
    let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1E]
    let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    func testSTAPAThenFUAKeyframe() {
        var d = H264Depacketizer()
        let r = feed(&d, [
            ([0x78, 0x00, 0x04] + sps + [0x00, 0x04] + pps, 9000, false), // STAP-A (24): two units
            ([0x7C, 0x85, 0xAA, 0xBB], 9000, false),                      // FU-A (28) S=1 type 5 (IDR)
            ([0x7C, 0x05, 0xCC], 9000, false),                            // middle
            ([0x7C, 0x45, 0xDD], 9000, true),                             // E=1, marker
        ])
        XCTAssertEqual(r.frames.count, 1)
        XCTAssertEqual(r.frames[0].keyframe, true)
        XCTAssertEqual(r.frames[0].data, [0, 0, 0, 4] + sps + [0, 0, 0, 4] + pps + [0, 0, 0, 5, 0x65, 0xAA, 0xBB, 0xCC, 0xDD])
        XCTAssertEqual(d.sps, sps)
        XCTAssertEqual(d.pps, pps)
    }

    func testSingleNALDeltaFrame() {
        var d = H264Depacketizer()
        let r = feed(&d, [([0x41, 0x9A, 0x01], 12_000, true)])   // type 1: non-IDR slice
        XCTAssertEqual(r.frames, [DepacketizedFrame(data: [0, 0, 0, 3, 0x41, 0x9A, 0x01], rtpTimestamp: 12_000, keyframe: false)])
    }

    func testMalformedAndUnsupported() {
        var d = H264Depacketizer()
        XCTAssertEqual(feed(&d, [([0x78, 0x00, 0x09, 0x67], 1, true)]).errors, [.badAggregate])   // unit overruns
        XCTAssertEqual(feed(&d, [([0x79, 0x00], 2, true)]).errors, [.unsupportedNALType(25)])     // STAP-B
        XCTAssertEqual(feed(&d, [([0x7C], 3, true)]).errors, [.truncated])                        // FU-A without header
        // FU-A continuation whose start was lost: the access unit is dropped.
        XCTAssertEqual(feed(&d, [([0x7C, 0x05, 0x01], 4, false), ([0x41, 0x02], 4, true), ([0x41, 0x03], 5, true)]).frames.map(\.rtpTimestamp), [5])
    }
}

final class OpusDepacketizerTests: XCTestCase {
    func testPayloadIsThePacket() {
        var d = OpusDepacketizer()
        let r = feed(&d, [([0xFC, 0x01, 0x02], 960, true), ([], 1920, false), ([0x03], 2880, false)])
        XCTAssertEqual(r.frames, [DepacketizedFrame(data: [0xFC, 0x01, 0x02], rtpTimestamp: 960, keyframe: true)])
        XCTAssertEqual(r.errors, [.empty, .truncated])  // code-3 packet without its count byte
    }
}

import XCTest
import RTP
@testable import BenchPeer

final class MediaSourceTests: XCTestCase {
    /// Packetises `frames` frames and returns every packet's bytes.
    func packets(_ p: inout VP8Packetizer, frames: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buf.deallocate() }
        for _ in 0..<frames {
            let (n, _) = p.beginFrame()
            for i in 0..<n {
                let len = p.writePacket(i, into: buf, sendTime: 1_000_000 + UInt64(out.count))
                out.append(Array(UnsafeRawBufferPointer(start: buf, count: len)))
            }
        }
        return out
    }

    func payload(_ packet: [UInt8]) -> [UInt8] {
        packet.withUnsafeBytes { raw in Array(packet[rtpPayloadRange(raw.baseAddress!, packet.count)!]) }
    }

    func testVP8FrameSplitsIntoPacketsOfAtMost1200Bytes() {
        var p = VP8Packetizer(ssrc: 0x1234, bitrate: 1_500_000, fps: 30, keyframeInterval: 2)
        XCTAssertEqual(p.frameBytes, 6250)           // 1.5 Mbit/s / 8 / 30
        XCTAssertEqual(p.dataPerPacket, 1168)        // 1200 − 12 RTP − 4 descriptor − 16 stamp
        let all = packets(&p, frames: 2)
        XCTAssertEqual(all.count, 12)                // ⌈6250 / 1168⌉ = 6 per frame
        XCTAssertTrue(all.allSatisfy { $0.count <= 1200 })
        // VP8 bytes of a frame (payload minus descriptor and stamp) add up to the frame size.
        let frameData = all[0..<6].map { payload($0).count - 4 - 16 }.reduce(0, +)
        XCTAssertEqual(frameData, 6250)
        // Marker only on a frame's last packet; sequence numbers consecutive; one timestamp per frame, 3000 apart.
        XCTAssertEqual(all.map { $0[1] & 0x80 != 0 }, [false, false, false, false, false, true, false, false, false, false, false, true])
        let seqs = all.map { UInt16($0[2]) << 8 | UInt16($0[3]) }
        XCTAssertEqual(seqs, Array(1000..<1012))
        let ts = all.map { UInt32($0[4]) << 24 | UInt32($0[5]) << 16 | UInt32($0[6]) << 8 | UInt32($0[7]) }
        XCTAssertEqual(Set(ts[0..<6]), [90_000])
        XCTAssertEqual(Set(ts[6..<12]), [93_000])
        XCTAssertEqual(all.map { $0[1] & 0x7f }, Array(repeating: 96, count: 12))
    }

    func testKeyframesAreRecognisedByTheServersParser() {
        var p = VP8Packetizer(ssrc: 1, bitrate: 300_000, fps: 10, keyframeInterval: 1)
        let all = packets(&p, frames: 11)            // frames 0 and 10 are key frames
        var keyframeFirstPackets: [Int] = []
        for (i, pkt) in all.enumerated() {
            let pl = payload(pkt)
            let d = pl.withUnsafeBytes { VP8PayloadDescriptor.parse($0) }!
            XCTAssertEqual(d.pictureIDIs15Bit, true)
            if pl.withUnsafeBytes({ Keyframe.isKeyframe(.vp8, payload: $0) }) {
                keyframeFirstPackets.append(i)
                XCTAssertEqual(d.width, 640)
                XCTAssertEqual(d.height, 360)
            }
        }
        let perFrame = all.count / 11
        XCTAssertEqual(keyframeFirstPackets, [0, 10 * perFrame])
    }

    func testRequestedKeyframeComesOnTheNextFrame() {
        var p = VP8Packetizer(ssrc: 1, bitrate: 300_000, fps: 10, keyframeInterval: 100)
        XCTAssertTrue(p.beginFrame().keyframe)
        XCTAssertFalse(p.beginFrame().keyframe)
        p.requestKeyframe()
        XCTAssertTrue(p.beginFrame().keyframe)
        XCTAssertFalse(p.beginFrame().keyframe)
    }

    func testStampsCarryCounterAndSendTime() {
        var p = VP8Packetizer(ssrc: 1, bitrate: 1_500_000, fps: 30, keyframeInterval: 2)
        let all = packets(&p, frames: 2)
        for (i, pkt) in all.enumerated() {
            let stamp = payload(pkt).withUnsafeBytes { MediaStamp.read($0) }
            XCTAssertEqual(stamp?.counter, UInt32(i))
            XCTAssertEqual(stamp?.sendTime, 1_000_000 + UInt64(i))
        }
        XCTAssertNil([UInt8](repeating: 0, count: 20).withUnsafeBytes { MediaStamp.read($0) }, "wrong magic")
        XCTAssertNil([UInt8](repeating: 0, count: 15).withUnsafeBytes { MediaStamp.read($0) }, "too short")
    }

    func testOpusPacketIsSilenceFramePlusStamp() {
        var o = OpusPacketizer(ssrc: 7)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buf.deallocate() }
        var stamps: [UInt32] = []
        var timestamps: [UInt32] = []
        for i in 0..<3 {
            let n = o.writePacket(into: buf, sendTime: UInt64(i))
            XCTAssertEqual(n, 12 + 3 + 16)
            let b = Array(UnsafeRawBufferPointer(start: buf, count: n))
            XCTAssertEqual(Array(b[12..<15]), [0xf8, 0xff, 0xfe])   // TOC: config 31 (CELT FB 20 ms), mono, one frame
            XCTAssertEqual(b[1] & 0x7f, 111)
            timestamps.append(UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7]))
            stamps.append(b.withUnsafeBytes { MediaStamp.read(UnsafeRawBufferPointer(rebasing: $0[12...]))!.counter })
        }
        XCTAssertEqual(timestamps, [48_000, 48_960, 49_920])
        XCTAssertEqual(stamps, [0, 1, 2])
    }

    func testRTPPayloadRange() {
        // V=2, no CSRC, no extension: payload from 12.
        let plain: [UInt8] = [0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xaa, 0xbb]
        // V=2, CC=1, X=1: 12 + 4 CSRC + 4 extension header + 1 word = 24.
        let ext: [UInt8] = [0x91, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 0xaa]
        // P=1: last byte says 2 bytes of padding.
        let padded: [UInt8] = [0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xaa, 0xbb, 0, 2]
        let cases: [([UInt8], Range<Int>?)] = [
            (plain, 12..<14), (ext, 24..<25), (padded, 12..<14),
            (Array(plain[0..<11]), nil),                                     // shorter than a header
            ([0x40] + plain.dropFirst(), nil),                               // version 1
            ([0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xaa, 0], nil),       // padding count 0
            ([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 9], nil), // extension longer than the packet
        ]
        for (bytes, expected) in cases {
            XCTAssertEqual(bytes.withUnsafeBytes { rtpPayloadRange($0.baseAddress!, bytes.count) }, expected, "\(bytes)")
        }
    }
}

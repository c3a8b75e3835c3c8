// Picture size from real x264 SPSs (baseline and high profile, with and
// without cropping) and rejection of broken ones.
import Foundation
import XCTest
@testable import Recorder

final class H264SPSTests: XCTestCase {
    func sps(size: String, profile: String) throws -> [UInt8] {
        let dir = try makeTempDirectory("sps")
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("s.h264").path
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=30:duration=0.1",
                                    "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", profile, "-f", "h264", "-y", raw])
        XCTAssertEqual(r.status, 0, r.err)
        return try XCTUnwrap(AnnexB.nalUnits(Array(try Data(contentsOf: URL(fileURLWithPath: raw)))).first { $0[0] & 0x1F == 7 })
    }

    func testSizesOfRealSPSs() throws {
        for (size, profile, w, h) in [("320x240", "baseline", 320, 240), ("1920x1080", "high", 1920, 1080),
                                      ("642x362", "main", 642, 362), ("176x144", "high", 176, 144)] {
            let s = try sps(size: size, profile: profile)
            let d = H264SPS.dimensions(s)
            XCTAssertEqual(d?.width, w, "\(size) \(profile)")
            XCTAssertEqual(d?.height, h, "\(size) \(profile)")
        }
    }

    func testMalformed() throws {
        XCTAssertNil(H264SPS.dimensions([0x68, 0x42, 0, 0x1E, 0xFF]))  // a PPS
        let good = try sps(size: "320x240", profile: "baseline")
        for n in 4..<8 { XCTAssertNil(H264SPS.dimensions(Array(good.prefix(n))), "cut to \(n) bytes") }
        XCTAssertNil(H264SPS.dimensions([0x67, 0x42, 0, 0x1E, 0, 0, 0, 0, 0, 0]))  // Exp-Golomb with > 31 zeros
        var r = BitReader([0b1010_0110, 0b0100_0000])
        // ue: 1 → 0 | 010 → 1 | 011 → 2; se: 00100 → codeNum 3 → +2 (§9.1.1: 1, −1, 2, −2, ...)
        XCTAssertEqual([r.ue(), r.ue(), r.ue(), r.se()], [0, 1, 2, 2])
    }
}

// Test helpers: make real encoded media with Debian's ffmpeg (run through
// `runTool`, PostSupport.swift), and read IVF files (the simple VP8/VP9 container: 32-byte header,
// then per frame a 4-byte LE size, an 8-byte LE pts and the frame).
import Foundation
import XCTest
@testable import Recorder

enum MediaTools {
    /// Encodes a moving test pattern (320×240, 30 fps, keyframe every `gop` frames) to IVF.
    static func makeIVF(_ path: String, codec: String, seconds: Double, gop: Int = 30) throws {
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=\(seconds)",
                         "-c:v", codec, "-g", "\(gop)", "-b:v", "300k", "-deadline", "realtime", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
    }

    /// Encodes a 440 Hz tone to Ogg Opus, 20 ms frames.
    static func makeOpus(_ path: String, seconds: Double, channels: Int = 1) throws {
        let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)",
                         "-c:a", "libopus", "-b:a", "32k", "-ac", "\(channels)", "-frame_duration", "20", "-y", path])
        XCTAssertEqual(r.status, 0, r.err)
    }

    /// The frames of an IVF file with their pts (in the header's time base) and the size.
    static func readIVF(_ path: String) throws -> (width: Int, height: Int, frames: [(pts: Int64, data: [UInt8])]) {
        let b = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard b.count >= 32, b[0..<4].elementsEqual(Array("DKIF".utf8)) else { throw NSError(domain: "ivf", code: 1) }
        func le(_ at: Int, _ n: Int) -> UInt64 { (0..<n).reversed().reduce(0) { $0 << 8 | UInt64(b[at + $1]) } }
        let headerSize = Int(le(6, 2))
        var frames: [(Int64, [UInt8])] = []
        var at = headerSize
        while at + 12 <= b.count {
            let size = Int(le(at, 4))
            let pts = Int64(le(at + 4, 8))
            guard at + 12 + size <= b.count else { break }
            frames.append((pts, Array(b[at + 12..<at + 12 + size])))
            at += 12 + size
        }
        return (Int(le(12, 2)), Int(le(14, 2)), frames)
    }

    /// Opus packets (headers dropped) of an Ogg Opus file.
    static func opusPackets(_ path: String) throws -> [[UInt8]] {
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return Array(try OggReader.packets(data).map(\.bytes).dropFirst(2))
    }

    static func probe(_ path: String, _ entries: String, stream: String? = nil) throws -> String {
        var args = ["ffprobe", "-v", "error"]
        if let stream { args += ["-select_streams", stream] }
        args += ["-show_entries", entries, "-of", "csv=p=0", path]
        let r = try runTool(args)
        XCTAssertEqual(r.status, 0, r.err)
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func duration(_ path: String) throws -> Double {
        Double(try probe(path, "format=duration")) ?? -1
    }

    /// `ffmpeg -v error` decodes everything: exit 0 and nothing on stderr.
    static func assertDecodesCleanly(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runTool(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, file: file, line: line)
        XCTAssertEqual(r.err, "", "ffmpeg -v error said: \(r.err)", file: file, line: line)
    }

    /// VP8 keyframe: the P bit (bit 0 of the first byte) is 0 (RFC 6386 §9.1).
    static func isVP8Keyframe(_ f: [UInt8]) -> Bool { (f.first ?? 1) & 1 == 0 }

    /// VP9 keyframe (VP9 bitstream spec §6.2, uncompressed header, MSB first):
    /// frame_marker(2) profile_low(1) profile_high(1) [reserved_zero(1) if
    /// profile 3] show_existing_frame(1) frame_type(1, 0 = key frame).
    static func isVP9Keyframe(_ f: [UInt8]) -> Bool {
        guard let b = f.first else { return false }
        let profile = Int((b >> 5) & 1) | Int((b >> 4) & 1) << 1
        let showExistingBit = profile == 3 ? 2 : 3
        if (b >> UInt8(showExistingBit)) & 1 == 1 { return false }
        return (b >> UInt8(showExistingBit - 1)) & 1 == 0
    }
}

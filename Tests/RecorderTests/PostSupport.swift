// Helpers for the post-processing tests: external tools (ffmpeg, ffprobe,
// tar), a Goertzel tone detector and synthetic signals.
import Foundation
import XCTest

/// Runs a command through /usr/bin/env and returns its status and output.
@discardableResult
func runTool(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    // stderr to a file, stdout through a pipe: neither can fill up and block the tool.
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    let errHandle = try FileHandle(forWritingTo: errURL)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = errHandle
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try errHandle.close()
    let e = (try? Data(contentsOf: errURL)) ?? Data()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Output of the tool as raw bytes (ffmpeg → raw PCM/video on stdout).
func runToolData(_ args: [String]) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return o
}

/// A value from `ffprobe -show_entries <entries>` (one stream or the format).
func probe(_ path: String, _ entries: String, stream: String? = nil) throws -> String {
    var args = ["ffprobe", "-v", "error"]
    if let stream { args += ["-select_streams", stream] }
    args += ["-show_entries", entries, "-of", "csv=p=0", path]
    let r = try runTool(args)
    XCTAssertEqual(r.status, 0, r.err)
    return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The power of `frequency` in `samples` (mono, `rate` Hz) by the Goertzel
/// algorithm, normalised by the length so windows compare.
func goertzelPower(_ samples: ArraySlice<Float>, frequency: Double, rate: Double = 48_000) -> Double {
    let w = 2 * Double.pi * frequency / rate
    let coeff = 2 * cos(w)
    var s1 = 0.0, s2 = 0.0
    for x in samples {
        let s0 = Double(x) + coeff * s1 - s2
        s2 = s1
        s1 = s0
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return power / Double(max(1, samples.count * samples.count))
}

/// The frequency among `candidates` with the most power.
func dominantFrequency(_ samples: ArraySlice<Float>, among candidates: [Double]) -> Double {
    candidates.max { goertzelPower(samples, frequency: $0) < goertzelPower(samples, frequency: $1) }!
}

/// Interleaved sine of `frequency` at `amplitude`, `channels` identical channels.
func sine(_ frequency: Double, samples: Int, channels: Int, amplitude: Float = 0.5, phaseStart: Int = 0) -> [Float] {
    var out = [Float]()
    out.reserveCapacity(samples * channels)
    for i in 0..<samples {
        let v = amplitude * Float(sin(2 * Double.pi * frequency * Double(i + phaseStart) / 48_000))
        for _ in 0..<channels { out.append(v) }
    }
    return out
}

/// Takes the left (first) channel of interleaved PCM.
func firstChannel(_ pcm: [Float], channels: Int) -> [Float] {
    stride(from: 0, to: pcm.count, by: channels).map { pcm[$0] }
}

/// A fresh temporary directory removed by the caller.
func makeTempDirectory(_ prefix: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

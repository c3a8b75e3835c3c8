// post-bench: post-processing speed, as JSON — seconds of processing per
// minute of recording for 4 participants (audio mix; grid video compose of
// 640×360 VP8 inputs with the mixed audio muxed in; archive).
//
//   swift build -c release --product post-bench && .build/release/post-bench [seconds] [workdir]
//
// Inputs are made once by ffmpeg (testsrc2 video with moving content,
// speech-band tones) and reused by the 4 participants, all present for the
// whole recording (the worst case: a full 2×2 grid, every decoder busy).
import Foundation
import Recorder
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
let seconds = args.count > 1 ? Int(args[1]) ?? 60 : 60
let work = args.count > 2 ? args[2] : NSTemporaryDirectory() + "post-bench"
try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

func sh(_ a: [String]) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = a
    p.standardError = FileHandle.nullDevice
    try! p.run()
    p.waitUntilExit()
    precondition(p.terminationStatus == 0, "failed: \(a.joined(separator: " "))")
}

/// CPU seconds of the calling thread (post-processing is single-threaded).
func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func wall() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

var audioInputs: [MixInput] = []
var videoInputs: [MixInput] = []
for (i, hz) in [220, 330, 440, 550].enumerated() {
    let ogg = "\(work)/p\(i)-\(seconds)s.ogg"
    if !FileManager.default.fileExists(atPath: ogg) {
        sh(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "aevalsrc=0.3*sin(2*PI*\(hz)*t)*(0.6+0.4*sin(2*PI*3*t)):s=48000:d=\(seconds)",
            "-c:a", "libopus", "-b:a", "32k", "-y", ogg])
    }
    audioInputs.append(MixInput(path: ogg, startOffsetMs: 0, label: "p\(i)"))
}
let webm = "\(work)/video-640x360-\(seconds)s.webm"
if !FileManager.default.fileExists(atPath: webm) {
    sh(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=\(seconds)",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)",
        "-c:v", "libvpx", "-b:v", "800k", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-y", webm])
}
for i in 0..<4 { videoInputs.append(MixInput(path: webm, startOffsetMs: 0, label: "p\(i)")) }

PostProcessor.lowerThreadPriority()
var results: [String: Any] = ["participants": 4, "recording_seconds": seconds]
let perMinute = 60.0 / Double(seconds)

var w0 = wall(), c0 = threadCPU()
let mix = try PostProcessor.mixAudio(audioInputs, to: "\(work)/mix.ogg") { _ in }
results["audio_mix"] = ["wall_s_per_min": (wall() - w0) * perMinute, "cpu_s_per_min": (threadCPU() - c0) * perMinute,
                        "output_bytes": mix.size, "output_ms": mix.durationMs]

for (w, h, fps) in [(1280, 720, 30), (960, 540, 25), (640, 360, 15)] {
    w0 = wall(); c0 = threadCPU()
    let video = try PostProcessor.composeVideo(videoInputs, audio: "\(work)/mix.ogg", to: "\(work)/grid-\(w)x\(h).webm",
                                               width: w, height: h, fps: fps) { _ in }
    results["video_compose_\(w)x\(h)@\(fps)"] = ["wall_s_per_min": (wall() - w0) * perMinute,
                                                "cpu_s_per_min": (threadCPU() - c0) * perMinute,
                                                "output_bytes": video.size, "output_ms": video.durationMs]
}

w0 = wall(); c0 = threadCPU()
let files = [("mix.ogg", "\(work)/mix.ogg"), ("grid.webm", "\(work)/grid-1280x720.webm")] +
    audioInputs.map { ($0.label + ".ogg", $0.path) }
let tar = try PostProcessor.archive(files, manifest: Array("{}".utf8), to: "\(work)/archive.tar")
results["archive"] = ["wall_s": wall() - w0, "cpu_s": threadCPU() - c0, "bytes": tar.size]

let json = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
print(String(decoding: json, as: UTF8.self))

// swift run -c release recorder-bench [streams] [seconds]: what recording
// costs, as JSON. A producer thread plays the media worker: it pushes 20 ms
// Opus packets of `streams` audio streams into recorder taps (as fast as the
// recorder keeps up; the time is media time), and the recorder thread writes
// one Ogg Opus file per stream. Reports the worker-side cost per push, the
// recorder's CPU per second of media per stream, and the disk bytes per
// second per stream. CPU is measured with clocks, so sharing the machine
// slows the run but not the figures much.
import Foundation
import Glibc
import Handoff
import Recorder
import SDP

let args = CommandLine.arguments
let streams = args.count > 1 ? Int(args[1]) ?? 20 : 20
let mediaSeconds = args.count > 2 ? Int(args[2]) ?? 30 : 30
let dir = NSTemporaryDirectory() + "recorder-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

func cpuNs(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

// A 20 ms stereo Opus packet of a typical size (~120 bytes at 48 kbit/s): TOC config 31 (CELT 20 ms), stereo, code 0.
let payload: [UInt8] = [0xFC] + (0..<119).map { UInt8(truncatingIfNeeded: $0 &* 37) }

let recorder = RecorderThread()
let started = RecorderThread.wallClockMs()
_ = await recorder.call { $0.startConference("bench", directory: dir, startedAtMs: started) }
var taps: [RecorderTap] = []
for i in 0..<streams {
    let tap = recorder.makeTap()
    let s = TappedStream(conferenceId: "bench", streamId: "s\(i)", endpointId: "e\(i)",
                         tracks: [RecordedTrack(kind: .audio, codec: "opus", clockRate: 48000, channels: 2)])
    _ = await recorder.call { $0.addStream(s, tap: tap, keyframe: { _ in }) }
    taps.append(tap)
}

let packetsPerStream = mediaSeconds * 50
let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1500, alignment: 16)
payload.withUnsafeBytes { (buffer + 12).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
let length = 12 + payload.count
let processStart = cpuNs(CLOCK_PROCESS_CPUTIME_ID)
let producerStart = cpuNs(CLOCK_THREAD_CPUTIME_ID)
var pushNs: UInt64 = 0
var pushes = 0
for i in 0..<packetsPerStream {
    let seq = UInt16(truncatingIfNeeded: i), ts = UInt32(truncatingIfNeeded: i * 960)
    buffer.storeBytes(of: 0x80, toByteOffset: 0, as: UInt8.self)
    buffer.storeBytes(of: 111, toByteOffset: 1, as: UInt8.self)
    buffer.storeBytes(of: seq.bigEndian, toByteOffset: 2, as: UInt16.self)
    buffer.storeBytes(of: ts.bigEndian, toByteOffset: 4, as: UInt32.self)
    let t0 = cpuNs(CLOCK_MONOTONIC)
    for (k, tap) in taps.enumerated() {
        buffer.storeBytes(of: UInt32(k + 1).bigEndian, toByteOffset: 8, as: UInt32.self)
        tap.push(track: 0, rtp: buffer, length: length, arrival: t0)
    }
    pushNs += cpuNs(CLOCK_MONOTONIC) - t0
    pushes += taps.count
    // Every 0.5 s of media, let the recorder catch up (media time, not wall time).
    if i % 25 == 24 { while taps.contains(where: { $0.count > 0 }) { usleep(200) } }
}
while taps.contains(where: { $0.count > 0 }) { usleep(200) }
let producerCPU = cpuNs(CLOCK_THREAD_CPUTIME_ID) - producerStart
let files = await recorder.call { $0.stop("bench") }
let recorderCPU = cpuNs(CLOCK_PROCESS_CPUTIME_ID) - processStart - producerCPU
let bytes = files.reduce(Int64(0)) { $0 + $1.size }
let dropped = taps.reduce(0) { $0 + $1.dropped }
let result: [String: Any] = [
    "streams": streams,
    "mediaSecondsPerStream": mediaSeconds,
    "pushNsPerPacket": Double(pushNs) / Double(pushes),
    "recorderCpuMsPerMediaSecondPerStream": Double(recorderCPU) / 1e6 / Double(mediaSeconds * streams),
    "recorderCpuUsPerPacket": Double(recorderCPU) / 1e3 / Double(pushes),
    "diskBytesPerMediaSecondPerStream": Double(bytes) / Double(mediaSeconds * streams),
    "dropped": dropped,
    "files": files.count,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
print(String(decoding: json, as: UTF8.self))
buffer.deallocate()
recorder.stop()

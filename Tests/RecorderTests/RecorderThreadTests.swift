// The recorder I/O thread end to end in-process: RTP packets pushed into
// recorder taps (as a media worker does) come out as files that ffprobe and
// ffmpeg read; segment cuts, republishing and a stalled disk.
import Foundation
import Handoff
import RTPRouter
import SDP
import XCTest
@testable import Recorder

/// A writer that sleeps in every call while `stalled` (a slow disk), delegating to the real one.
final class StallingRecording: TapRecording {
    let inner: TapRecording
    let stallNs: UInt32
    nonisolated(unsafe) static var stalled = false
    init(_ inner: TapRecording, stallMicroseconds: UInt32) { self.inner = inner; stallNs = stallMicroseconds }
    var path: String { inner.path }
    var originArrivalNs: UInt64? { inner.originArrivalNs }
    func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] {
        if Self.stalled { usleep(stallNs) }
        return inner.packet(track: track, rtp: rtp, arrival: arrival)
    }
    func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {
        inner.senderReport(track: track, ntp: ntp, rtpTimestamp: rtpTimestamp, arrival: arrival)
    }
    func noteDropped(track: Int, count: Int) { inner.noteDropped(track: track, count: count) }
    func tick(now: UInt64) -> [RecorderAction] { inner.tick(now: now) }
    func finish() throws -> RecordedFileSummary { try inner.finish() }
}

final class RecorderThreadTests: XCTestCase {
    var dir: String!
    /// 3 s of a 440 Hz tone, 20 ms Opus packets (ffmpeg), made once.
    nonisolated(unsafe) static var tone: [[UInt8]] = []

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "rec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if Self.tone.isEmpty {
            let src = dir + "/src.ogg"
            let r = try runTool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
                             "-c:a", "libopus", "-b:a", "32k", "-ac", "2", "-frame_duration", "20", "-y", src])
            XCTAssertEqual(r.status, 0, r.err)
            Self.tone = Array(packets(of: try parsePages(Array(try Data(contentsOf: URL(fileURLWithPath: src))))).dropFirst(2).map(\.bytes))
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }


    func duration(_ path: String) throws -> Double {
        let r = try runTool(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        XCTAssertEqual(r.status, 0, r.err)
        return Double(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func assertDecodesCleanly(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try runTool(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"])
        XCTAssertEqual(r.status, 0, file: file, line: line)
        XCTAssertEqual(r.err, "", "ffmpeg -v error said: \(r.err)", file: file, line: line)
    }

    let audio = RecordedTrack(kind: .audio, codec: "opus", clockRate: 48000, channels: 2)

    func stream(_ id: String = "s1", endpoint: String = "e1") -> TappedStream {
        TappedStream(conferenceId: "c1", streamId: id, endpointId: endpoint, tracks: [audio])
    }

    /// Pushes tone packets `range` as RTP (PT 111, 20 ms apart) into `tap`, as the worker would.
    func push(_ tap: RecorderTap, _ range: Range<Int>, ssrc: UInt32 = 0x1234_5678, paceMicroseconds: UInt32 = 0) -> UInt64 {
        var worst: UInt64 = 0
        for i in range {
            let payload = Self.tone[i % Self.tone.count]
            let seq = UInt16(truncatingIfNeeded: 1000 + i), ts = UInt32(truncatingIfNeeded: 5000 + 960 * i)
            var rtp: [UInt8] = [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xff),
                                UInt8(ts >> 24), UInt8(ts >> 16 & 0xff), UInt8(ts >> 8 & 0xff), UInt8(ts & 0xff),
                                UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xff), UInt8(ssrc >> 8 & 0xff), UInt8(ssrc & 0xff)]
            rtp += payload
            let t0 = monotonicNow()
            rtp.withUnsafeBytes { _ = tap.push(track: 0, rtp: $0.baseAddress!, length: $0.count, arrival: t0) }
            worst = max(worst, monotonicNow() - t0)
            if paceMicroseconds > 0 { usleep(paceMicroseconds) }
        }
        return worst
    }

    /// Waits until the recorder has drained `tap`.
    func settle(_ recorder: RecorderThread, _ tap: RecorderTap) async throws {
        for _ in 0..<500 where tap.count > 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        _ = await recorder.call { _ in 0 } // one more loop turn
    }

    func testTappedStreamBecomesAPlayableOggFileWithItsOffsets() async throws {
        let recorder = RecorderThread()
        defer { recorder.stop() }
        let started = RecorderThread.wallClockMs() - 1500 // the recording began 1.5 s before this stream
        let dir = self.dir!
        let first = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: started) }
        XCTAssertTrue(first)
        let again = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: started) }
        XCTAssertFalse(again)
        let tap = recorder.makeTap()
        let s = stream()
        let added = await recorder.call { $0.addStream(s, tap: tap, keyframe: { _ in }) }
        XCTAssertTrue(added)
        _ = push(tap, 0..<Self.tone.count)
        try await settle(recorder, tap)
        let live = await recorder.call { $0.files("c1") }
        XCTAssertEqual(live.count, 1)
        XCTAssertNil(live.first?.endOffsetMs)
        XCTAssertGreaterThan(live.first?.size ?? 0, 0, "the headers are written at once")
        tap.close() // the publisher left
        try await settle(recorder, tap)
        let files = await recorder.call { $0.stop("c1") }
        XCTAssertEqual(files.count, 1)
        let f = try XCTUnwrap(files.first)
        XCTAssertEqual(f.path, dir + "/s1-e1-1.ogg")
        XCTAssertEqual(f.format, "ogg")
        XCTAssertEqual(f.kinds, ["audio"])
        XCTAssertEqual(f.codecs, ["opus"])
        XCTAssertEqual(Double(f.startOffsetMs), 1500, accuracy: 300)
        XCTAssertNotNil(f.endOffsetMs)
        XCTAssertFalse(f.hasGaps)
        XCTAssertEqual(f.droppedPackets, 0)
        XCTAssertEqual(f.size, Int64(try FileManager.default.attributesOfItem(atPath: f.path)[.size] as! Int))
        let d = try duration(f.path)
        print("recorded \(Self.tone.count) packets → ffprobe \(d) s")
        XCTAssertEqual(d, Double(Self.tone.count) * 0.02, accuracy: 0.05)
        try assertDecodesCleanly(f.path)
        XCTAssertEqual(recorder.counters.packets.load(ordering: .relaxed), Self.tone.count)
        XCTAssertEqual(recorder.counters.bytesWritten, Int(f.size))
    }

    /// A new publication's media flows only after ICE and DTLS: its file starts at its first packet, not when it was tapped.
    func testFileStartsAtItsFirstPacket() async throws {
        let recorder = RecorderThread()
        defer { recorder.stop() }
        let dir = self.dir!
        let started = RecorderThread.wallClockMs()
        _ = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: started) }
        let tap = recorder.makeTap()
        let s = stream()
        _ = await recorder.call { $0.addStream(s, tap: tap, keyframe: { _ in }) }
        let before = await recorder.call { $0.files("c1") }
        XCTAssertLessThan(before[0].startOffsetMs, 100)
        try await Task.sleep(nanoseconds: 400_000_000)
        _ = push(tap, 0..<10)
        try await settle(recorder, tap)
        let after = await recorder.call { $0.files("c1") }
        XCTAssertEqual(Double(after[0].startOffsetMs), 400, accuracy: 100, "the offset is the first packet's arrival")
    }

    func testSegmentCutContinuesIntoTheNewDirectoryWithoutLosingPackets() async throws {
        let recorder = RecorderThread()
        defer { recorder.stop() }
        let dir = self.dir!, seg2 = dir + "/seg2"
        _ = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: RecorderThread.wallClockMs()) }
        let tap = recorder.makeTap()
        let s = stream()
        _ = await recorder.call { $0.addStream(s, tap: tap, keyframe: { _ in }) }
        _ = push(tap, 0..<60)
        // The cut happens while packets are still queued: they belong to the first file.
        let first = await recorder.call { $0.rotate("c1", directory: seg2) }
        _ = push(tap, 60..<150)
        try await settle(recorder, tap)
        let second = await recorder.call { $0.stop("c1") }
        XCTAssertEqual(first.map(\.path), [dir + "/s1-e1-1.ogg"])
        XCTAssertEqual(second.map(\.path), [seg2 + "/s1-e1-2.ogg"])
        let d1 = try duration(first[0].path), d2 = try duration(second[0].path)
        print("segments: \(d1) s + \(d2) s")
        XCTAssertEqual(d1, 1.2, accuracy: 0.03)
        XCTAssertEqual(d2, 1.8, accuracy: 0.03)
        XCTAssertGreaterThanOrEqual(second[0].startOffsetMs, first[0].startOffsetMs)
        XCTAssertEqual(first[0].endOffsetMs, second[0].startOffsetMs)
        try assertDecodesCleanly(second[0].path)
    }

    func testRepublishEndsTheFileAndStartsTheNextNumber() async throws {
        let recorder = RecorderThread()
        defer { recorder.stop() }
        let dir = self.dir!
        _ = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: RecorderThread.wallClockMs()) }
        let tap1 = recorder.makeTap()
        let s = stream()
        _ = await recorder.call { $0.addStream(s, tap: tap1, keyframe: { _ in }) }
        _ = push(tap1, 0..<50)
        tap1.close() // unpublish
        try await settle(recorder, tap1)
        let afterUnpublish = await recorder.call { $0.files("c1") }
        XCTAssertEqual(afterUnpublish.count, 1)
        XCTAssertNotNil(afterUnpublish.first?.endOffsetMs, "the file is finished as soon as the producer goes")
        let tap2 = recorder.makeTap()
        _ = await recorder.call { $0.addStream(s, tap: tap2, keyframe: { _ in }) }
        _ = push(tap2, 50..<100, ssrc: 0x9999)
        try await settle(recorder, tap2)
        let files = await recorder.call { $0.stop("c1") }
        XCTAssertEqual(files.map(\.path), [dir + "/s1-e1-1.ogg", dir + "/s1-e1-2.ogg"])
        for f in files { XCTAssertEqual(try duration(f.path), 1.0, accuracy: 0.03) }
        XCTAssertTrue(tap2.isClosed, "stop closes the taps it still holds")
        // A stream of a conference that is not recorded is refused and its tap closed.
        let stray = recorder.makeTap()
        let strayAdded = await recorder.call { $0.addStream(s, tap: stray, keyframe: { _ in }) }
        XCTAssertFalse(strayAdded)
        XCTAssertTrue(stray.isClosed)
    }

    /// A stalled disk: the writer sleeps 50 ms per packet while packets
    /// arrive every 2 ms. The producer never waits (every push returns at
    /// once), the ring overflows, drops are counted and the file says `hasGaps`.
    func testSlowDiskDropsAndCountsButNeverBlocksTheProducer() async throws {
        StallingRecording.stalled = true
        defer { StallingRecording.stalled = false }
        let recorder = RecorderThread(makeFactory: {
            { base, tracks in StallingRecording(try StreamRecording(basePath: base, tracks: tracks), stallMicroseconds: 50_000) }
        })
        defer { recorder.stop() }
        let dir = self.dir!
        _ = await recorder.call { $0.startConference("c1", directory: dir, startedAtMs: RecorderThread.wallClockMs()) }
        let tap = recorder.makeTap(slotCount: 32)
        let s = stream()
        _ = await recorder.call { $0.addStream(s, tap: tap, keyframe: { _ in }) }
        let t0 = monotonicNow()
        let worst = push(tap, 0..<150, paceMicroseconds: 2000)
        let elapsedMs = (monotonicNow() - t0) / 1_000_000
        print("slow disk: 150 pushes in \(elapsedMs) ms, slowest push \(worst) ns, \(tap.dropped) dropped")
        XCTAssertLessThan(worst, 2_000_000, "a push waited for the recorder")
        XCTAssertGreaterThan(tap.dropped, 50)
        StallingRecording.stalled = false
        try await settle(recorder, tap)
        _ = push(tap, 150..<160) // the disk is back: the end of the call is recorded
        try await settle(recorder, tap)
        let files = await recorder.call { $0.stop("c1") }
        let f = try XCTUnwrap(files.first)
        XCTAssertTrue(f.hasGaps)
        XCTAssertEqual(f.droppedPackets, Int64(tap.dropped))
        XCTAssertEqual(recorder.counters.dropped.load(ordering: .relaxed), tap.dropped)
        XCTAssertEqual(recorder.counters.packets.load(ordering: .relaxed) + tap.dropped, 160)
        // Gaps became silence: the file still lasts as long as the call.
        XCTAssertEqual(try duration(f.path), 3.2, accuracy: 0.05)
        try assertDecodesCleanly(f.path)
    }
}

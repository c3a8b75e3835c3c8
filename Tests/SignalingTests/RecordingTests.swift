// Contract C through the real media stack: a publisher connects (ICE, DTLS,
// SRTP) to a RouterMedia worker, the conference is recorded through
// `startRecording`, and the files ffprobe reads have the call's duration.
// Covers a publisher present at the start, an ICE restart (same file),
// unpublish, a republish (a future publisher: next file), stop, a stalled
// recorder under a viewer, and the recorder's keyframe requests.
import Foundation
import HTTP
import RTPRouter
import Recorder
import XCTest
@testable import Signaling

/// A writer whose every packet takes 50 ms (a stalled disk).
final class StalledRecording: TapRecording {
    let inner: TapRecording
    init(_ inner: TapRecording) { self.inner = inner }
    var path: String { inner.path }
    var originArrivalNs: UInt64? { inner.originArrivalNs }
    func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] {
        usleep(50_000)
        return inner.packet(track: track, rtp: rtp, arrival: arrival)
    }
    func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {}
    func noteDropped(track: Int, count: Int) { inner.noteDropped(track: track, count: count) }
    func tick(now: UInt64) -> [RecorderAction] { inner.tick(now: now) }
    func finish() throws -> RecordedFileSummary { try inner.finish() }
}

/// A writer that writes nothing and only says which tracks are video (for the keyframe path).
final class KeyframeAskingRecording: TapRecording {
    let path: String
    let video: [Bool]
    init(path: String, video: [Bool]) { self.path = path; self.video = video }
    var originArrivalNs: UInt64? { nil }
    func packet(track: Int, rtp: UnsafeRawBufferPointer, arrival: UInt64) -> [RecorderAction] { [] }
    func senderReport(track: Int, ntp: UInt64, rtpTimestamp: UInt32, arrival: UInt64) {}
    func noteDropped(track: Int, count: Int) {}
    func tick(now: UInt64) -> [RecorderAction] { [] }
    func finish() throws -> RecordedFileSummary { RecordedFileSummary(path: path, format: "test", durationMs: 0, size: 0, hasGaps: false) }
}

final class RecordingTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "recording-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func ffprobeDuration(_ path: String) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "default=nw=1", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains("codec_name=opus"), text)
        let d = text.split(separator: "\n").first { $0.hasPrefix("duration=") }?.dropFirst("duration=".count)
        return d.flatMap { Double($0) } ?? -1
    }

    /// 20 ms Opus frames carrying one zero-length CELT frame (TOC 0xFC: config 31, stereo, code 0):
    /// valid packets a decoder conceals, so only the durations matter here.
    func publishAudio(_ pub: LoopbackPublisher, packets: Int) async throws {
        for _ in 0..<packets {
            try pub.sendOpus([0xFC])
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    func testRecordingAPublisherThroughTheRealStack() async throws {
        var config = RouterMedia.Configuration()
        config.workers = 1
        config.basePort = 0
        config.announcedAddresses = ["127.0.0.1"]
        let media = try RouterMedia(configuration: config) { _ in }
        let port = media.ports[0]

        let first = try LoopbackPublisher()
        let answer1 = try await media.publish(conferenceId: "conf", endpointId: "alice", streamId: "mic", offer: first.offer, videoBitrate: nil)
        try first.connect(answer: answer1, port: port)
        let started = RecorderThread.wallClockMs()
        // The publisher is present when the recording starts.
        try await media.startRecording(conferenceId: "conf", directory: dir, startedAtMs: started)
        do {
            try await media.startRecording(conferenceId: "conf", directory: dir, startedAtMs: started)
            XCTFail("a second start must be refused")
        } catch {
            XCTAssertEqual(error.status, 409)
        }
        try await publishAudio(first, packets: 100) // 2 s of media
        // An ICE restart (the same endpoint publishes the stream again) keeps the producer, its tap and its file.
        _ = try await media.publish(conferenceId: "conf", endpointId: "alice", streamId: "mic", offer: first.offer, videoBitrate: nil)
        try await publishAudio(first, packets: 25) // 0.5 s more, same file
        let live = await media.recordingFiles(conferenceId: "conf")
        XCTAssertEqual(live.map(\.path), [dir + "/mic-alice-1.ogg"])
        XCTAssertNil(live.first?.endOffsetMs)

        // Unpublish ends the file; a republish (a publisher that comes later) starts the next one.
        await media.unpublish(conferenceId: "conf", streamId: "mic")
        let second = try LoopbackPublisher()
        let answer2 = try await media.publish(conferenceId: "conf", endpointId: "alice", streamId: "mic", offer: second.offer, videoBitrate: nil)
        try second.connect(answer: answer2, port: port)
        try await publishAudio(second, packets: 50) // 1 s
        try await Task.sleep(nanoseconds: 100_000_000)
        let files = await media.stopRecording(conferenceId: "conf")
        XCTAssertEqual(files.map(\.path), [dir + "/mic-alice-1.ogg", dir + "/mic-alice-2.ogg"])
        XCTAssertEqual(files.map(\.streamId), ["mic", "mic"])
        XCTAssertEqual(files.map(\.endpointId), ["alice", "alice"])
        XCTAssertEqual(files.map(\.kinds), [["audio"], ["audio"]])
        XCTAssertEqual(files.map(\.codecs), [["opus"], ["opus"]])
        XCTAssertTrue(files.allSatisfy { $0.endOffsetMs != nil && !$0.hasGaps && $0.droppedPackets == 0 && $0.error == nil })
        XCTAssertLessThanOrEqual(files[0].endOffsetMs ?? .max, files[1].startOffsetMs)
        let d1 = try ffprobeDuration(files[0].path), d2 = try ffprobeDuration(files[1].path)
        print("recorded through the stack: \(d1) s and \(d2) s; offsets \(files.map { ($0.startOffsetMs, $0.endOffsetMs ?? -1) })")
        XCTAssertEqual(d1, 2.5, accuracy: 0.05)
        XCTAssertEqual(d2, 1.0, accuracy: 0.05)
        let counters = try XCTUnwrap(media.recorderCounters)
        XCTAssertEqual(counters.packets.load(ordering: .relaxed), 175)
        XCTAssertEqual(counters.conferences.load(ordering: .relaxed), 0)
        XCTAssertTrue(Metrics.shared.exposition().contains("sfu_recorder_packets_total 175"))
        let again = await media.stopRecording(conferenceId: "conf")
        XCTAssertEqual(again.count, 0, "a stopped recording has nothing more")
        await media.endConference("conf")
    }

    /// A recorder whose disk stalls 50 ms per packet: the viewer still gets
    /// every packet at the publisher's pace, the recording drops and says so.
    func testStalledRecorderDoesNotSlowForwarding() async throws {
        var config = RouterMedia.Configuration()
        config.workers = 1
        config.basePort = 0
        config.announcedAddresses = ["127.0.0.1"]
        config.recorderTapSlots = 32
        let media = try RouterMedia(configuration: config, recordingFactory: {
            { base, tracks in StalledRecording(try StreamRecording(basePath: base, tracks: tracks)) }
        }) { _ in }
        let port = media.ports[0]
        let pub = try LoopbackPublisher()
        try pub.connect(answer: try await media.publish(conferenceId: "slow", endpointId: "alice", streamId: "mic", offer: pub.offer, videoBitrate: nil), port: port)
        let viewer = try LoopbackPublisher(sending: false)
        try viewer.connect(answer: try await media.view(conferenceId: "slow", endpointId: "bob", streamId: "mic", viewerId: "v1", offer: viewer.offer), port: port)
        try await media.startRecording(conferenceId: "slow", directory: dir, startedAtMs: RecorderThread.wallClockMs())

        let packets = 200
        let receiving = Task.detached { viewer.receiveRTP(count: packets, seconds: 10) }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try await publishAudio(pub, packets: packets)
        let arrivals = await receiving.value
        let sendMs = (DispatchTime.now().uptimeNanoseconds - t0) / 1_000_000
        let gaps = zip(arrivals.dropFirst(), arrivals).map { Double($0 - $1) / 1e6 }
        let files = await media.stopRecording(conferenceId: "slow")
        print("stalled recorder: viewer got \(arrivals.count)/\(packets) in \(sendMs) ms of sending, largest gap \(gaps.max() ?? 0) ms; "
              + "recording dropped \(files.first?.droppedPackets ?? -1)")
        XCTAssertEqual(arrivals.count, packets, "forwarding lost packets while the recorder was stalled")
        XCTAssertLessThan(Double(arrivals.last! - arrivals.first!) / 1e6, Double(sendMs) + 200,
                          "the viewer's packets arrived later than the publisher's pace")
        let f = try XCTUnwrap(files.first)
        XCTAssertGreaterThan(f.droppedPackets, 50)
        XCTAssertTrue(f.hasGaps)
        XCTAssertGreaterThan(media.recorderCounters?.dropped.load(ordering: .relaxed) ?? 0, 50)
        await media.endConference("slow")
    }

    /// A recording's keyframe request reaches the publisher as a PLI
    /// (recorder thread → `MediaWorker.submit` → `WorkerRouter.requestKeyframe`).
    func testRecorderKeyframeRequestReachesThePublisherAsPLI() async throws {
        var config = RouterMedia.Configuration()
        config.workers = 1
        config.basePort = 0
        config.announcedAddresses = ["127.0.0.1"]
        let media = try RouterMedia(configuration: config, recordingFactory: {
            { base, tracks in KeyframeAskingRecording(path: base + ".test", video: tracks.map { $0.kind == .video }) }
        }) { _ in }
        let pub = try LoopbackPublisher(video: true)
        try pub.connect(answer: try await media.publish(conferenceId: "kf", endpointId: "alice", streamId: "cam", offer: pub.offer, videoBitrate: nil),
                        port: media.ports[0])
        // The router knows the track's SSRC from its first packet; then the recording starts.
        try pub.sendRTP(payloadType: 96, [0x90, 0x80, 0x01, 0x00, 0x9d, 0x01, 0x2a], timestampStep: 3000)
        try await Task.sleep(nanoseconds: 50_000_000)
        try await media.startRecording(conferenceId: "kf", directory: dir, startedAtMs: RecorderThread.wallClockMs())
        let files = await media.recordingFiles(conferenceId: "kf")
        XCTAssertEqual(files.map(\.kinds), [["video"]])
        XCTAssertEqual(files.map(\.codecs), [["VP8"]])
        // The new file asks for a keyframe at once (its first frame must be one).
        let gotPLI = await Task.detached { pub.receivePLI(seconds: 3) }.value
        XCTAssertTrue(gotPLI, "no PLI reached the publisher")
        _ = await media.stopRecording(conferenceId: "kf")
        await media.endConference("kf")
    }

    func testUnavailableMediaCannotRecord() async {
        let media = UnavailableMedia { _ throws(HTTPError) in }
        do {
            try await media.startRecording(conferenceId: "c", directory: "/tmp/x", startedAtMs: 0)
            XCTFail("expected 503")
        } catch {
            XCTAssertEqual(error.status, 503)
            XCTAssertEqual(error.code, "MEDIA_UNAVAILABLE")
        }
        let none = await media.recordingFiles(conferenceId: "c")
        XCTAssertTrue(none.isEmpty)
    }
}

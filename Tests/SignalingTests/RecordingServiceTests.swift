import XCTest
import Foundation
import JSON
import HTTP
import Recorder
@testable import Signaling

/// A recorder tap double: for each configured publisher it writes a real
/// small file into the directory it is given, as RouterMedia's tap would.
final class FileWritingMedia: MediaController, @unchecked Sendable {
    struct Publisher { var stream: String; var endpoint: String; var kinds: [String] }
    private let lock = NSLock()
    var publishers: [Publisher]
    var failStart = false
    private var current: [String: (dir: String, startedAt: Int64, segmentStart: Int64)] = [:]
    private(set) var calls: [String] = []

    init(publishers: [Publisher]) { self.publishers = publishers }

    func path(_ p: Publisher, _ dir: String) -> String { dir + "/" + p.stream + (p.kinds.contains("video") ? ".webm" : ".ogg") }

    func write(_ dir: String) {
        for p in publishers { FileManager.default.createFile(atPath: path(p, dir), contents: Data(repeating: 0x4f, count: 1000)) }
    }

    func infos(_ dir: String, start: Int64, end: Int64?) -> [RecordedFileInfo] {
        publishers.map { p in
            RecordedFileInfo(streamId: p.stream, endpointId: p.endpoint, path: path(p, dir), format: p.kinds.contains("video") ? "webm" : "ogg",
                             kinds: p.kinds, codecs: p.kinds.map { $0 == "video" ? "VP8" : "opus" }, startOffsetMs: start, endOffsetMs: end,
                             size: 1000, hasGaps: false, droppedPackets: 0)
        }
    }

    func note(_ s: String) { lock.withLock { calls.append(s) } }

    func validateOffer(_ sdp: String) throws(HTTPError) {}
    func publish(conferenceId: String, endpointId: String, streamId: String, offer: String, videoBitrate: Int64?) async throws(HTTPError) -> String { "" }
    func view(conferenceId: String, endpointId: String, streamId: String, viewerId: String, offer: String) async throws(HTTPError) -> String { "" }
    func addCandidates(conferenceId: String, streamId: String, viewerId: String?, candidates: [JSON]) async {}
    func unpublish(conferenceId: String, streamId: String) async {}
    func stopView(conferenceId: String, streamId: String, viewerId: String) async {}
    func setBitrate(conferenceId: String, streamId: String, bitsPerSecond: Int64) async {}
    func endConference(_ conferenceId: String) async {}

    func startRecording(conferenceId: String, directory: String, startedAtMs: Int64) async throws(HTTPError) {
        note("start \(conferenceId)")
        if failStart { throw HTTPError(503, "MEDIA_UNAVAILABLE", "test") }
        write(directory)
        lock.withLock { current[conferenceId] = (directory, startedAtMs, startedAtMs) }
    }
    func rotateRecording(conferenceId: String, directory: String) async -> [RecordedFileInfo] {
        note("rotate \(conferenceId)")
        return lock.withLock {
            guard let c = current[conferenceId] else { return [] }
            let now = ISOTime.nowMillis()
            let done = infos(c.dir, start: c.segmentStart - c.startedAt, end: now - c.startedAt)
            write(directory)
            current[conferenceId] = (directory, c.startedAt, now)
            return done
        }
    }
    func stopRecording(conferenceId: String) async -> [RecordedFileInfo] {
        note("stop \(conferenceId)")
        return lock.withLock {
            guard let c = current.removeValue(forKey: conferenceId) else { return [] }
            return infos(c.dir, start: c.segmentStart - c.startedAt, end: ISOTime.nowMillis() - c.startedAt)
        }
    }
    func recordingFiles(conferenceId: String) async -> [RecordedFileInfo] {
        lock.withLock {
            guard let c = current[conferenceId] else { return [] }
            return infos(c.dir, start: c.segmentStart - c.startedAt, end: nil)
        }
    }
}

/// A post-processor double: writes real files naming its inputs.
struct FileWritingPostProcessor: RecordingPostProcessing {
    var failVideo = false
    func prepareThread() {}
    func mixAudio(_ inputs: [PostProcessingInput], to path: String, progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        progress(0.5)
        let text = "mix:" + inputs.map { "\($0.label)@\($0.startOffsetMs)" }.joined(separator: ",")
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        progress(1)
        return ProcessedFile(size: Int64(text.utf8.count), durationMs: 1234)
    }
    func composeVideo(_ inputs: [PostProcessingInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                      progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        struct Broken: Error, CustomStringConvertible { var description: String { "test decoder refused the input" } }
        if failVideo { throw Broken() }
        let text = "video \(width)x\(height)@\(fps):" + inputs.map(\.label).joined(separator: ",") + " audio=\(audio != nil)"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return ProcessedFile(size: Int64(text.utf8.count), durationMs: 1234)
    }
    func archive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> ProcessedFile {
        var text = files.map(\.name).joined(separator: "\n") + "\n"
        text += String(decoding: manifest, as: UTF8.self)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return ProcessedFile(size: Int64(text.utf8.count), durationMs: 0)
    }
}

final class RecordingServiceTests: XCTestCase {
    let svc = Principal(subject: "svc", roles: [.service], organizationId: nil)
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "rec-tests-\(UUID().uuidString)"
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func makeConference(_ id: String, users: [String: String] = ["e-alice": "alice", "e-bob": "bob"]) async throws -> ConferenceService {
        let conferences = ConferenceService(configuration: .init())
        _ = try await conferences.create(id: id, creatorEndpoint: nil, metadata: [:], organizationId: nil, who: svc)
        for (e, u) in users { _ = try await conferences.join(id, endpoint: e, userId: u, metadata: [:], who: svc) }
        return conferences
    }

    func config(segment: Double = 3600, empty: Double = 60) -> RecordingService.Configuration {
        var c = RecordingService.Configuration(directory: dir)
        c.segmentSeconds = segment
        c.emptyTimeout = empty
        c.minFreeBytes = 0
        c.tickSeconds = 0.05
        return c
    }

    func waitUntil(_ what: String, timeout: Double = 5, _ cond: () async -> Bool) async throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if await cond() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    let publishers = [FileWritingMedia.Publisher(stream: "s-alice", endpoint: "e-alice", kinds: ["audio"]),
                      FileWritingMedia.Publisher(stream: "s-bob", endpoint: "e-bob", kinds: ["audio", "video"])]

    func testLifecycleSegmentsPostProcessingAndRestart() async throws {
        let conferences = try await makeConference("conf")
        let media = FileWritingMedia(publishers: publishers)
        let service = try RecordingService(configuration: config(segment: 0.3), media: media, conferences: conferences, processor: FileWritingPostProcessor())
        await service.start()
        let rec = try await service.start(conferenceId: "conf", by: "svc")
        let session = await conferences.recordingView("conf")!.sessionId
        XCTAssertEqual(rec.session, session)
        XCTAssertEqual(rec.participants, ["alice", "bob"])
        do {
            _ = try await service.start(conferenceId: "conf", by: "svc")
            XCTFail("second start accepted")
        } catch { XCTAssertEqual(error.status, 409) }
        // Live: the in-progress files are listed as `recording`.
        let live = await service.recording(rec.id, of: "conf")!
        XCTAssertEqual(live.assets.map(\.state), [.recording, .recording])
        XCTAssertEqual(Set(live.assets.compactMap(\.streamUserId)), ["alice", "bob"])
        // Segments are cut by the ticker.
        try await waitUntil("a second segment") { await service.recordings[rec.id]!.segments.count >= 2 }
        let stopped = await service.stop(conferenceId: "conf", reason: "test")!
        XCTAssertNotNil(stopped.endTime)
        try await waitUntil("readyTime") { await service.recordings[rec.id]!.readyTime != nil }
        await service.flushed()
        let done = await service.recordings[rec.id]!
        let segments = done.segments.count
        XCTAssertGreaterThanOrEqual(segments, 2)
        XCTAssertTrue(done.segments.allSatisfy { $0.processed && $0.endTime != nil })
        XCTAssertEqual(done.assets.filter { $0.role == .individual }.count, 2 * segments)
        XCTAssertEqual(done.assets.filter { $0.role == .combinedAudio }.count, segments)
        XCTAssertEqual(done.assets.filter { $0.role == .combinedVideo }.count, segments)
        XCTAssertEqual(done.assets.filter { $0.role == .archive }.count, 1)
        XCTAssertTrue(done.assets.allSatisfy { $0.state == .ready }, "\(done.assets.map(\.state))")
        let recDir = await service.recordingDirectory(done)
        for a in done.assets {
            XCTAssertEqual(FileOps.status(recDir + "/" + a.relativePath)?.size, a.size, a.relativePath)
        }
        let mix = try String(contentsOfFile: recDir + "/0/mix/combined-audio.ogg", encoding: .utf8)
        XCTAssertTrue(mix.hasPrefix("mix:alice@0,bob@0"), mix)
        let archive = try String(contentsOfFile: recDir + "/archive.tar", encoding: .utf8)
        XCTAssertTrue(archive.contains("0/s-alice.ogg") && archive.contains("0/mix/combined-video.webm"), archive)
        // No temporaries are left behind.
        let leftovers = FileManager.default.enumerator(atPath: recDir)!.allObjects.compactMap { $0 as? String }.filter { $0.contains(".part") || $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])

        // A new process on the same directory lists the same recording.
        let again = try RecordingService(configuration: config(), media: media, conferences: conferences, processor: FileWritingPostProcessor())
        await again.start()
        let reloaded = await again.recordings(of: "conf")
        XCTAssertEqual(reloaded.map(\.id), [rec.id])
        XCTAssertEqual(reloaded.first?.readyTime, done.readyTime)
        XCTAssertEqual(reloaded.first?.assets.count, done.assets.count)
    }

    func testRestartWhileRecordingEndsItAndProcessesWhatWasWritten() async throws {
        let conferences = try await makeConference("conf")
        let media = FileWritingMedia(publishers: publishers)
        let first = try RecordingService(configuration: config(), media: media, conferences: conferences, processor: FileWritingPostProcessor())
        await first.start()
        let rec = try await first.start(conferenceId: "conf", by: "svc")
        await first.shutdownTickerOnly()
        // The process "dies" here: nothing is stopped. A new one starts on the same directory.
        let second = try RecordingService(configuration: config(), media: FileWritingMedia(publishers: []), conferences: conferences,
                                          processor: FileWritingPostProcessor(failVideo: true))
        await second.start()
        try await waitUntil("readyTime after recovery") { await second.recordings[rec.id]?.readyTime != nil }
        let r = await second.recordings[rec.id]!
        XCTAssertNotNil(r.endTime)
        XCTAssertEqual(r.stopReason, "the server stopped while recording")
        let individuals = r.assets.filter { $0.role == .individual }
        XCTAssertEqual(Set(individuals.map(\.relativePath)), ["0/s-alice.ogg", "0/s-bob.webm"])
        XCTAssertTrue(individuals.allSatisfy { $0.state == .ready && $0.hasGaps })
        let video = r.assets.first { $0.role == .combinedVideo }!
        XCTAssertEqual(video.state, .failed)
        XCTAssertEqual(video.failureReason, "test decoder refused the input")
        XCTAssertEqual(r.assets.first { $0.role == .combinedAudio }?.state, .ready)
        XCTAssertEqual(r.assets.first { $0.role == .archive }?.state, .ready)
    }

    func testStopsWhenEmptyOrEnded() async throws {
        let conferences = try await makeConference("conf", users: ["e-alice": "alice"])
        let media = FileWritingMedia(publishers: [publishers[0]])
        let service = try RecordingService(configuration: config(empty: 0.2), media: media, conferences: conferences, processor: FileWritingPostProcessor())
        await service.start()
        let rec = try await service.start(conferenceId: "conf", by: "svc")
        try await conferences.leave("conf", endpoint: "e-alice", reason: nil, who: svc)
        try await waitUntil("stop on emptiness") { await service.recordings[rec.id]!.endTime != nil }
        let stopped = await service.recordings[rec.id]!
        XCTAssertEqual(stopped.stopReason, "conference empty for 0 s")
        XCTAssertEqual(stopped.participants, ["alice"])

        _ = try await conferences.join("conf", endpoint: "e-alice", userId: "alice", metadata: [:], who: svc)
        let second = try await service.start(conferenceId: "conf", by: "svc")
        try await conferences.end("conf", endpoint: "e-alice", reason: nil, who: svc)
        try await waitUntil("stop on end") { await service.recordings[second.id]!.endTime != nil }
        let ended = await service.recordings[second.id]!
        XCTAssertEqual(ended.stopReason, "conference ended")
        XCTAssertEqual(media.calls.filter { $0.hasPrefix("stop") }.count, 2)
    }

    func testRefusals() async throws {
        let conferences = try await makeConference("conf")
        var c = config()
        c.minFreeBytes = Int64.max
        let full = try RecordingService(configuration: c, media: FileWritingMedia(publishers: []), conferences: conferences)
        let obstacle = await full.obstacle(conferenceId: "conf")
        XCTAssertEqual(obstacle?.code, "INSUFFICIENT_DISK")
        do { _ = try await full.start(conferenceId: "conf", by: "svc"); XCTFail() } catch {
            XCTAssertEqual(error.status, 507); XCTAssertEqual(error.code, "RECORDING_NOT_PERMITTED")
        }
        c = config()
        c.enabled = false
        let off = try RecordingService(configuration: c, media: FileWritingMedia(publishers: []), conferences: conferences)
        do { _ = try await off.start(conferenceId: "conf", by: "svc"); XCTFail() } catch {
            XCTAssertEqual(error.status, 403); XCTAssertEqual(error.code, "RECORDING_NOT_PERMITTED")
        }
        let media = FileWritingMedia(publishers: [])
        media.failStart = true
        let failing = try RecordingService(configuration: config(), media: media, conferences: conferences)
        do { _ = try await failing.start(conferenceId: "nope", by: "svc"); XCTFail() } catch { XCTAssertEqual(error.status, 404) }
        do { _ = try await failing.start(conferenceId: "conf", by: "svc"); XCTFail() } catch { XCTAssertEqual(error.status, 503) }
        // A failed start leaves nothing: no recording, no directory, and the conference may be tried again.
        let left = await failing.recordings(of: "conf")
        XCTAssertEqual(left.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/conf"), [])
        let again = await failing.obstacle(conferenceId: "conf")
        XCTAssertNil(again)
    }
}

/// Start-up over a directory a crashed process left behind.
final class RecordingCatalogTests: XCTestCase {
    func testStartUpSkipsUnreadableMetadataAndRemovesTemporaries() async throws {
        let dir = NSTemporaryDirectory() + "rec-catalog-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let catalog = try RecordingCatalog(root: dir)
        let good = Recording(id: "0f339cb0-7ab4-43fe-852d-75708232f76c", channel: "..", session: "s", startTime: 1000, endTime: 2000,
                             readyTime: 3000, startedBy: "svc", participants: ["alice"], lastAliveTime: 2000, stopReason: "test",
                             segments: [RecordingSegment(index: 0, startTime: 1000, endTime: 2000, processed: true)], assets: [])
        let recDir = catalog.recordingDirectory(conferenceId: "..", recordingId: good.id)
        XCTAssertTrue(recDir.hasPrefix(dir + "/%2E./"), recDir)
        try FileManager.default.createDirectory(atPath: recDir + "/0/mix", withIntermediateDirectories: true)
        try await catalog.save(good)
        // Leftovers of a crash: a metadata temporary, a half-written mix; and a corrupt recording.
        FileManager.default.createFile(atPath: recDir + "/recording.json.tmp-1-2", contents: Data("{".utf8))
        FileManager.default.createFile(atPath: recDir + "/0/mix/.combined-audio.ogg.part", contents: Data(count: 10))
        let badDir = catalog.recordingDirectory(conferenceId: "other", recordingId: "broken")
        try FileManager.default.createDirectory(atPath: badDir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: badDir + "/recording.json", contents: Data("{\"id\": 1".utf8))

        let conferences = ConferenceService(configuration: .init())
        let service = try RecordingService(configuration: .init(directory: dir), media: UnavailableMedia(validate: { _ throws(HTTPError) in }),
                                           conferences: conferences)
        let found = await service.recordings(of: "..")
        XCTAssertEqual(found.map(\.id), [good.id])
        XCTAssertEqual(found.first?.participants, ["alice"])
        let other = await service.recordings(of: "other")
        XCTAssertEqual(other.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: recDir + "/recording.json.tmp-1-2"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: recDir + "/0/mix/.combined-audio.ogg.part"))
        let text = try String(contentsOfFile: recDir + "/recording.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"readyTime\" : 3000"), text)
    }
}

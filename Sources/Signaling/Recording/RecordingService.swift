import Foundation
import HTTP
import JSON
import RecordStore
import Recorder

/// Records conferences: starts and stops the recorder tap (through the
/// `MediaController`), cuts recordings into segments, stops them when the
/// conference ends or stays empty, keeps their metadata on disk
/// (`RecordingCatalog`) and runs post-processing after each segment.
///
/// An actor: each lifecycle step is applied atomically; while one awaits the
/// media path, the conference is already marked as recording (or not), so
/// concurrent starts and stops cannot both succeed.
public actor RecordingService {
    /// `--recorder`, `--recordings-dir`, `--recording-segment`, `--recording-empty-timeout`, `--recording-min-free`.
    public struct Configuration: Sendable {
        public var enabled = true
        public var directory: String
        public var segmentSeconds: Double = 1800
        public var emptyTimeout: Double = 60
        public var minFreeBytes: Int64 = 1 << 30
        /// The combined video's frame.
        public var videoWidth = 1280, videoHeight = 720, videoFPS = 25
        /// How often segments, emptiness and liveness are checked.
        public var tickSeconds: Double = 1
        public init(directory: String) { self.directory = directory }
    }

    /// A conference being recorded.
    struct Active {
        var recordingId: String
        var segment: Int
        var segmentStarted: Double
        /// Monotonic start: emptiness before the recording began does not count.
        var started: Double
        var starting = true
        var stopRequested = false
        var rotating = false
    }

    enum Job: Equatable {
        case segment(recordingId: String, index: Int)
        case archive(recordingId: String)
    }

    public let configuration: Configuration
    let catalog: RecordingCatalog
    let media: MediaController
    let conferences: ConferenceService
    let processor: RecordingPostProcessing
    let postQueue: PostProcessingQueue
    var recordsStore: RecordStore?
    var recordings: [String: Recording] = [:]
    var active: [String: Active] = [:]
    var endpointUsers: [String: [String: String]] = [:]
    var jobs: [Job] = []
    var jobsRunning = false
    var pendingWrites = 0
    var ticker: Task<Void, Never>?
    var lastAliveSaved: Double = 0
    var recovered: Recovered?
    /// Jobs run only once `start()` was called (the records store is attached by then).
    var jobsEnabled = false

    public init(configuration: Configuration, media: MediaController, conferences: ConferenceService,
                processor: RecordingPostProcessing = UnavailablePostProcessing()) throws {
        self.configuration = configuration
        self.catalog = try RecordingCatalog(root: configuration.directory)
        self.media = media
        self.conferences = conferences
        self.processor = processor
        self.postQueue = PostProcessingQueue(prepare: { processor.prepareThread() })
        let found = Self.recover(catalog)
        recordings = found.recordings
        recovered = found
    }

    /// Saves what start-up fixed, starts post-processing left over by a
    /// previous process, and starts watching conferences.
    public func start() async {
        if let found = recovered {
            recovered = nil
            for id in found.changed { await persist(id) }
            jobs += found.jobs
            jobsEnabled = true
            kickJobs()
            for id in found.unsettled { await settle(id) }
        }
        jobsEnabled = true
        let me = self
        await conferences.addEndedObserver { id in _ = await me.stop(conferenceId: id, reason: "conference ended") }
        guard ticker == nil else { return }
        let interval = UInt64(configuration.tickSeconds * 1e9)
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: interval)
                await self?.tick()
            }
        }
    }

    /// The records store the combined audio is also put into.
    public func attachRecordsStore(_ store: RecordStore?) { recordsStore = store }

    /// Stops the periodic checks only (tests simulate a crash with it).
    func shutdownTickerOnly() { ticker?.cancel() }

    /// Stops every running recording (graceful shutdown) so their files are finished.
    public func shutdown() async {
        ticker?.cancel()
        for conf in Array(active.keys) { await stop(conferenceId: conf, reason: "server shutting down") }
    }

    static func now() -> Int64 { ISOTime.nowMillis() }
    static func monotonic() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    // MARK: - Possible / start / stop

    /// Why a recording cannot start now, or nil if it can.
    public func obstacle(conferenceId: String) async -> (code: String, message: String)? {
        if !configuration.enabled { return ("RECORDER_DISABLED", "the recorder is switched off on this server (--recorder off)") }
        guard let view = await conferences.recordingView(conferenceId), !view.ended else {
            return ("UNKNOWN_CONFERENCE", "conference '\(conferenceId)' does not exist or has ended")
        }
        if active[conferenceId] != nil { return ("ALREADY_RECORDING", "conference '\(conferenceId)' is already being recorded") }
        let free = catalog.freeBytes() ?? 0
        if free < configuration.minFreeBytes {
            return ("INSUFFICIENT_DISK", "only \(free) bytes are free for recordings; at least \(configuration.minFreeBytes) are needed (--recording-min-free)")
        }
        return nil
    }

    /// Starts recording `conferenceId`; the new recording.
    func start(conferenceId: String, by subject: String) async throws(HTTPError) -> Recording {
        if let (code, message) = await obstacle(conferenceId: conferenceId) {
            switch code {
            case "UNKNOWN_CONFERENCE": throw HTTPError(404, "CONFERENCE_NOT_FOUND", message)
            case "ALREADY_RECORDING": throw HTTPError(409, "RECORDING_IN_PROGRESS", message)
            case "INSUFFICIENT_DISK": throw HTTPError(507, "RECORDING_NOT_PERMITTED", message)
            default: throw HTTPError(403, "RECORDING_NOT_PERMITTED", message)
            }
        }
        // `obstacle` awaited: check again now that nothing else can interleave until the next await.
        guard active[conferenceId] == nil, let view = await conferences.recordingView(conferenceId), !view.ended else {
            throw HTTPError(409, "RECORDING_IN_PROGRESS", "conference '\(conferenceId)' is already being recorded")
        }
        guard active[conferenceId] == nil else {
            throw HTTPError(409, "RECORDING_IN_PROGRESS", "conference '\(conferenceId)' is already being recorded")
        }
        let id = UUID().uuidString.lowercased()
        let now = Self.now()
        active[conferenceId] = Active(recordingId: id, segment: 0, segmentStarted: Self.monotonic(), started: Self.monotonic())
        let rec = Recording(id: id, channel: conferenceId, session: view.sessionId, startTime: now, endTime: nil, readyTime: nil,
                            startedBy: subject, participants: Array(Set(view.endpointUsers.values)).sorted(), lastAliveTime: now,
                            stopReason: nil, segments: [RecordingSegment(index: 0, startTime: now)], assets: [])
        recordings[id] = rec
        endpointUsers[id] = view.endpointUsers
        let dir = catalog.segmentDirectory(conferenceId: conferenceId, recordingId: id, segment: 0)
        func undo() {
            active[conferenceId] = nil
            recordings[id] = nil
            endpointUsers[id] = nil
            try? FileManager.default.removeItem(atPath: catalog.recordingDirectory(conferenceId: conferenceId, recordingId: id))
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try await catalog.save(rec)
        } catch {
            undo()
            throw HTTPError(500, "RECORDING_STORAGE_FAILED", "cannot create the recording's directory: \(error)")
        }
        do {
            try await media.startRecording(conferenceId: conferenceId, directory: dir, startedAtMs: now)
        } catch {
            undo()
            throw error
        }
        active[conferenceId]?.starting = false
        Metrics.shared.increment("sfu_recordings_started_total")
        Log.info("recording \(id) of conference \(conferenceId) started by \(subject) in \(dir)")
        if active[conferenceId]?.stopRequested == true {
            _ = await stop(conferenceId: conferenceId, reason: "conference ended")
            return recordings[id] ?? rec
        }
        return rec
    }

    /// Stops the conference's recording; nil if none is running.
    @discardableResult
    func stop(conferenceId: String, reason: String) async -> Recording? {
        // A segment cut in flight finishes first, so the files it returns land in their segment.
        while active[conferenceId]?.rotating == true { try? await Task.sleep(nanoseconds: 5_000_000) }
        guard let a = active[conferenceId] else { return nil }
        if a.starting {
            active[conferenceId]?.stopRequested = true
            return recordings[a.recordingId]
        }
        active[conferenceId] = nil
        let files = await media.stopRecording(conferenceId: conferenceId)
        let now = Self.now()
        addFiles(files, to: a.recordingId, segment: a.segment, finished: true, now: now)
        guard var rec = recordings[a.recordingId] else { return nil }
        if let i = rec.segments.firstIndex(where: { $0.index == a.segment }) { rec.segments[i].endTime = now }
        rec.endTime = now
        rec.lastAliveTime = now
        rec.stopReason = reason
        recordings[rec.id] = rec
        await persist(rec.id)
        Log.info("recording \(rec.id) of conference \(conferenceId) stopped (\(reason)): \(rec.assets.count) file(s) in \(rec.segments.count) segment(s)")
        enqueue(.segment(recordingId: rec.id, index: a.segment))
        return rec
    }

    /// Cuts the running recording of `conferenceId` into a new segment.
    func rotate(conferenceId: String) async {
        guard let a = active[conferenceId], !a.starting, !a.rotating, var rec = recordings[a.recordingId] else { return }
        let next = a.segment + 1
        let dir = catalog.segmentDirectory(conferenceId: conferenceId, recordingId: a.recordingId, segment: next)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            Log.error("recording \(a.recordingId): cannot create segment directory \(dir): \(error); the segment continues")
            active[conferenceId]?.segmentStarted = Self.monotonic()
            return
        }
        let now = Self.now()
        active[conferenceId]?.segment = next
        active[conferenceId]?.segmentStarted = Self.monotonic()
        active[conferenceId]?.rotating = true
        if let i = rec.segments.firstIndex(where: { $0.index == a.segment }) { rec.segments[i].endTime = now }
        rec.segments.append(RecordingSegment(index: next, startTime: now))
        recordings[rec.id] = rec
        let files = await media.rotateRecording(conferenceId: conferenceId, directory: dir)
        active[conferenceId]?.rotating = false
        addFiles(files, to: a.recordingId, segment: a.segment, finished: true, now: now)
        await persist(a.recordingId)
        Log.info("recording \(a.recordingId): segment \(a.segment) closed with \(files.count) file(s); segment \(next) started")
        enqueue(.segment(recordingId: a.recordingId, index: a.segment))
    }

    /// Once a tick: stop on end or emptiness, cut segments, note liveness.
    func tick() async {
        Metrics.shared.set("sfu_recordings_active", Double(active.count))
        Metrics.shared.set("sfu_recording_jobs_pending", Double(jobs.count + (jobsRunning ? 1 : 0)))
        let mono = Self.monotonic()
        let saveAlive = mono - lastAliveSaved >= 5
        if saveAlive { lastAliveSaved = mono }
        for (conf, a) in active where !a.starting {
            guard let view = await conferences.recordingView(conf), !view.ended else {
                await stop(conferenceId: conf, reason: "conference ended")
                continue
            }
            if let empty = view.emptyFor, min(empty, mono - a.started) >= configuration.emptyTimeout {
                await stop(conferenceId: conf, reason: "conference empty for \(Int(configuration.emptyTimeout)) s")
                continue
            }
            endpointUsers[a.recordingId, default: [:]].merge(view.endpointUsers) { _, new in new }
            if var rec = recordings[a.recordingId] {
                let users = Set(rec.participants).union(view.endpointUsers.values)
                if users.count != rec.participants.count { rec.participants = users.sorted() }
                if saveAlive { rec.lastAliveTime = Self.now() }
                recordings[rec.id] = rec
                if saveAlive { await persist(rec.id) }
            }
            if mono - a.segmentStarted >= configuration.segmentSeconds {
                await rotate(conferenceId: conf)
            }
        }
    }

    // MARK: - Assets of recorded files

    /// Adds (or updates) the assets of recorder files.
    func addFiles(_ files: [RecordedFileInfo], to recordingId: String, segment: Int, finished: Bool, now: Int64) {
        guard var rec = recordings[recordingId] else { return }
        for f in files {
            let asset = makeAsset(f, rec, segment: segment, finished: finished, now: now)
            if let i = rec.assetIndex(asset.id) { rec.assets[i] = asset } else { rec.assets.append(asset) }
        }
        recordings[recordingId] = rec
    }

    func makeAsset(_ f: RecordedFileInfo, _ rec: Recording, segment: Int, finished: Bool, now: Int64) -> RecordingAsset {
        let recDir = catalog.recordingDirectory(conferenceId: rec.channel, recordingId: rec.id)
        let relative = f.path.hasPrefix(recDir + "/") ? String(f.path.dropFirst(recDir.count + 1)) : "\(segment)/" + (f.path as NSString).lastPathComponent
        let user = endpointUsers[rec.id]?[f.endpointId]
        let kind = f.kinds.contains("video") ? "video" : (f.kinds.contains("audio") ? "audio" : "other")
        let size = FileOps.status(f.path)?.size ?? f.size
        return RecordingAsset(
            id: Self.assetId(rec.id, relative), recordingId: rec.id, segment: segment, role: .individual, format: f.format, kind: kind,
            codecs: f.codecs, tracks: f.kinds, streamUserId: user, endpointId: f.endpointId, group: f.streamId,
            state: f.error != nil ? .failed : (finished ? .ready : .recording), progress: nil, failureReason: f.error, size: size, relativePath: relative,
            label: "\(user ?? f.endpointId): stream \(f.streamId) (\(f.kinds.joined(separator: "+")))", userId: rec.startedBy,
            startTime: rec.startTime + f.startOffsetMs,
            endTime: f.endOffsetMs.map { rec.startTime + $0 } ?? (finished ? now : nil),
            hasGaps: f.hasGaps, droppedPackets: f.droppedPackets)
    }

    /// A stable asset id: the same file has the same id live and finished.
    static func assetId(_ recordingId: String, _ relativePath: String) -> String {
        NameUUID.v5(namespace: NameUUID.bytes(recordingId) ?? NameUUID.urlNamespace, name: relativePath)
    }

    /// Waits until every metadata write begun so far is on disk.
    func flushed() async {
        while pendingWrites > 0 { try? await Task.sleep(nanoseconds: 2_000_000) }
    }

    func persist(_ recordingId: String) async {
        guard let rec = recordings[recordingId] else { return }
        pendingWrites += 1
        defer { pendingWrites -= 1 }
        do { try await catalog.save(rec) } catch {
            Log.error("recording \(recordingId): cannot write recording.json: \(error)")
        }
    }

    // MARK: - Reading

    /// Recordings of a conference (any session).
    func recordings(of conferenceId: String) -> [Recording] {
        recordings.values.filter { $0.channel == conferenceId }
    }

    /// One recording, with the live files of a running segment as `recording` assets.
    func recording(_ id: String, of conferenceId: String) async -> Recording? {
        guard var rec = recordings[id], rec.channel == conferenceId else { return nil }
        if let a = active[conferenceId], a.recordingId == id, !a.starting {
            let live = await media.recordingFiles(conferenceId: conferenceId)
            let now = Self.now()
            for f in live {
                let asset = makeAsset(f, rec, segment: a.segment, finished: f.endOffsetMs != nil, now: now)
                if let i = rec.assetIndex(asset.id) { rec.assets[i] = asset } else { rec.assets.append(asset) }
            }
        }
        return rec
    }

    func recordingDirectory(_ rec: Recording) -> String {
        catalog.recordingDirectory(conferenceId: rec.channel, recordingId: rec.id)
    }

    /// Whether `subject` took part in the recording's conference.
    func isParticipant(_ subject: String, of rec: Recording) -> Bool { rec.participants.contains(subject) }
}

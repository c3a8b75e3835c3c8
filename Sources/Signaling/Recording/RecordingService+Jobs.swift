import Foundation
import Glibc
import HTTP
import JSON
import RecordStore

/// Post-processing orchestration: after a segment ends, a combined audio mix
/// (also put into the records store) and a combined video; after the last
/// segment, one archive of every asset. Jobs run one at a time on the
/// background queue; assets go `processing` → `ready` | `failed` with
/// visible `progress`, and outputs are written to a hidden temporary name
/// and renamed into place, so nothing half-written is ever listed as ready.
extension RecordingService {
    func enqueue(_ job: Job) {
        if !jobs.contains(job) { jobs.append(job) }
        kickJobs()
    }

    func kickJobs() {
        guard jobsEnabled, !jobsRunning, !jobs.isEmpty else { return }
        jobsRunning = true
        Task { await self.drainJobs() }
    }

    func drainJobs() async {
        while !jobs.isEmpty {
            let job = jobs.removeFirst()
            switch job {
            case .segment(let rid, let index): await processSegment(rid, index)
            case .archive(let rid): await makeArchive(rid)
            }
        }
        jobsRunning = false
    }

    /// Whether every job a recording needs has run; then it is ready.
    func settle(_ rid: String) async {
        guard var rec = recordings[rid], rec.endTime != nil else { return }
        if rec.segments.allSatisfy(\.processed) && !rec.assets.contains(where: { $0.role == .archive }) {
            enqueue(.archive(recordingId: rid))
            return
        }
        if rec.readyTime == nil && rec.isSettled && rec.assets.contains(where: { $0.role == .archive }) {
            rec.readyTime = Self.now()
            recordings[rid] = rec
            endpointUsers[rid] = nil
            await persist(rid)
            let failed = rec.assets.filter { $0.state == .failed }.count
            Log.info("recording \(rid) is ready: \(rec.assets.count) asset(s), \(failed) failed")
        }
    }

    /// Creates (or resets) a derived asset in state `processing`.
    func beginDerived(_ rid: String, role: AssetRole, segment: Int, relativePath: String, format: String, kind: String,
                      tracks: [String], label: String, startTime: Int64) async -> RecordingAsset? {
        guard var rec = recordings[rid] else { return nil }
        let asset = RecordingAsset(
            id: Self.assetId(rid, relativePath), recordingId: rid, segment: segment, role: role, format: format, kind: kind,
            codecs: [], tracks: tracks, streamUserId: nil, endpointId: nil, group: nil, state: .processing, progress: 0,
            failureReason: nil, size: nil, relativePath: relativePath, label: label, userId: rec.startedBy,
            startTime: startTime, endTime: nil, hasGaps: false, droppedPackets: 0)
        if let i = rec.assetIndex(asset.id) { rec.assets[i] = asset } else { rec.assets.append(asset) }
        recordings[rid] = rec
        await persist(rid)
        return asset
    }

    func setProgress(_ rid: String, _ assetId: String, _ p: Double) {
        guard var rec = recordings[rid], let i = rec.assetIndex(assetId), rec.assets[i].state == .processing else { return }
        rec.assets[i].progress = min(1, max(0, p))
        recordings[rid] = rec
    }

    func finishDerived(_ rid: String, _ assetId: String, _ result: Result<ProcessedFile, Error>, codecs: [String]) async {
        guard var rec = recordings[rid], let i = rec.assetIndex(assetId) else { return }
        switch result {
        case .success(let f):
            rec.assets[i].state = .ready
            rec.assets[i].size = f.size
            rec.assets[i].progress = 1
            rec.assets[i].endTime = rec.assets[i].startTime + f.durationMs
            rec.assets[i].codecs = codecs
        case .failure(let e):
            Metrics.shared.increment("sfu_recording_assets_failed_total", labels: ["role": rec.assets[i].role.rawValue])
            rec.assets[i].state = .failed
            rec.assets[i].progress = nil
            rec.assets[i].failureReason = "\(e)"
            Log.warn("recording \(rid): \(rec.assets[i].label) failed: \(e)")
        }
        recordings[rid] = rec
        await persist(rid)
    }

    /// Runs one blocking step writing `final` through a hidden temporary file.
    func produce(_ rid: String, _ asset: RecordingAsset, codecs: [String],
                 _ body: @escaping @Sendable (_ tmp: String, _ progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile) async -> Bool {
        guard let rec = recordings[rid] else { return false }
        let final = recordingDirectory(rec) + "/" + asset.relativePath
        let dir = (final as NSString).deletingLastPathComponent
        let tmp = dir + "/." + (final as NSString).lastPathComponent + ".part"
        let reporter = ProgressThrottle { [weak self] p in Task { await self?.setProgress(rid, asset.id, p) } }
        let result = await postQueue.run { () throws -> ProcessedFile in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            do {
                let f = try body(tmp, reporter.report)
                if rename(tmp, final) != 0 { throw FileOps.Failure("rename", final) }
                FileOps.fsyncDirectory(dir)
                return ProcessedFile(size: FileOps.status(final)?.size ?? f.size, durationMs: f.durationMs)
            } catch {
                unlink(tmp)
                throw error
            }
        }
        await finishDerived(rid, asset.id, result, codecs: codecs)
        if case .success = result { return true }
        return false
    }

    func processSegment(_ rid: String, _ index: Int) async {
        guard let rec = recordings[rid], let seg = rec.segments.first(where: { $0.index == index }) else { return }
        let recDir = recordingDirectory(rec)
        let individuals = rec.assets.filter { $0.role == .individual && $0.segment == index && $0.state == .ready }
        func input(_ a: RecordingAsset) -> PostProcessingInput {
            PostProcessingInput(path: recDir + "/" + a.relativePath, startOffsetMs: max(0, a.startTime - seg.startTime), label: a.streamUserId ?? a.endpointId ?? a.id)
        }
        let audio = individuals.filter { $0.tracks.contains("audio") }.map(input)
        let video = individuals.filter { $0.tracks.contains("video") }.map(input)
        var mixPath: String?
        let processor = self.processor
        if !audio.isEmpty, let asset = await beginDerived(rid, role: .combinedAudio, segment: index, relativePath: "\(index)/mix/combined-audio.ogg",
                                                          format: "ogg", kind: "audio", tracks: ["audio"], label: "Combined audio, segment \(index)", startTime: seg.startTime) {
            if await produce(rid, asset, codecs: ["opus"], { tmp, progress in try processor.mixAudio(audio, to: tmp, progress: progress) }) {
                mixPath = recDir + "/" + asset.relativePath
                await storeInRecords(rec, path: mixPath!, startMillis: seg.startTime)
            }
        }
        if !video.isEmpty, let asset = await beginDerived(rid, role: .combinedVideo, segment: index, relativePath: "\(index)/mix/combined-video.webm",
                                                          format: "webm", kind: "video", tracks: ["video", "audio"], label: "Combined video, segment \(index)", startTime: seg.startTime) {
            let (w, h, fps) = (configuration.videoWidth, configuration.videoHeight, configuration.videoFPS)
            let audioPath = mixPath
            _ = await produce(rid, asset, codecs: ["VP8", "opus"]) { tmp, progress in
                try processor.composeVideo(video, audio: audioPath, to: tmp, width: w, height: h, fps: fps, progress: progress)
            }
        }
        if var r = recordings[rid], let i = r.segments.firstIndex(where: { $0.index == index }) {
            r.segments[i].processed = true
            recordings[rid] = r
            await persist(rid)
        }
        await settle(rid)
    }

    func makeArchive(_ rid: String) async {
        guard let rec = recordings[rid] else { return }
        let recDir = recordingDirectory(rec)
        let members = rec.assets.filter { $0.state == .ready && $0.role != .archive }
        guard let asset = await beginDerived(rid, role: .archive, segment: rec.segments.last?.index ?? 0, relativePath: "archive.tar",
                                             format: "tar", kind: "other", tracks: [], label: "Archive of every asset with manifest.json",
                                             startTime: rec.startTime) else { return }
        let manifest: JSON = [
            "recording": rec.json,
            "assets": .array(members.map(\.json)),
            "segments": .array(rec.segments.map { ["index": .int(Int64($0.index)), "startTime": .int($0.startTime), "endTime": $0.endTime.map { .int($0) } ?? .null] }),
        ]
        let files = members.map { (name: $0.relativePath, path: recDir + "/" + $0.relativePath) }
        let bytes = manifest.bytes
        let processor = self.processor
        _ = await produce(rid, asset, codecs: []) { tmp, _ in try processor.archive(files, manifest: bytes, to: tmp) }
        await settle(rid)
    }

    /// Puts a segment's combined audio into the records store as
    /// `/records/{event}/{segment start}` (it then shows on its `/sse`).
    func storeInRecords(_ rec: Recording, path: String, startMillis: Int64) async {
        guard let store = recordsStore else { return }
        let event = NameUUID.recordsEvent(conferenceId: rec.channel)
        do {
            let r = try await store.store(event: event, start: Date(timeIntervalSince1970: Double(startMillis) / 1000), contentsOf: URL(fileURLWithPath: path))
            Log.info("recording \(rec.id): combined audio stored as /records/\(r.item.key.path)")
        } catch {
            Log.warn("recording \(rec.id): cannot put the combined audio into the records store: \(error)")
        }
    }
}

/// Forwards progress at most once per percent.
final class ProgressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private var last = -1.0
    private let sink: @Sendable (Double) -> Void
    init(_ sink: @escaping @Sendable (Double) -> Void) { self.sink = sink }

    var report: @Sendable (Double) -> Void {
        { [self] p in
            lock.lock()
            let due = p - last >= 0.01 || p >= 1
            if due { last = p }
            lock.unlock()
            if due { sink(p) }
        }
    }
}

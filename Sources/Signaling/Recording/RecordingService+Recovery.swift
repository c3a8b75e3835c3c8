import Foundation
import Glibc
import HTTP

/// Start-up: recordings that were live when the previous process died are
/// ended at the last moment known (last liveness note or newest file), the
/// files the recorder left become `ready` assets (they are playable up to
/// their last flushed page), and unfinished post-processing is run again
/// from scratch (its partial outputs are hidden temporaries and deleted).
extension RecordingService {
    static let mediaExtensions: Set<String> = ["ogg", "webm", "mkv"]

    /// What start-up found: every recording (fixed up in memory), those whose
    /// metadata must be rewritten, the post-processing jobs to run, and the
    /// recordings to check for readiness.
    struct Recovered {
        var recordings: [String: Recording] = [:]
        var changed: [String] = []
        var jobs: [Job] = []
        var unsettled: [String] = []
    }

    /// Loads and fixes up the recordings of a previous process (blocking; runs once, in `init`).
    static func recover(_ catalog: RecordingCatalog) -> Recovered {
        var out = Recovered()
        let loaded: [Recording]
        do { loaded = try catalog.loadAll() } catch {
            Log.error("recordings: cannot read \(catalog.root): \(error)")
            return out
        }
        for var rec in loaded {
            var changed = false
            let recDir = catalog.recordingDirectory(conferenceId: rec.channel, recordingId: rec.id)
            if rec.endTime == nil {
                var last = rec.lastAliveTime
                for seg in rec.segments {
                    let dir = recDir + "/\(seg.index)"
                    for name in FileOps.files(in: dir) where !name.hasPrefix(".") {
                        let ext = (name as NSString).pathExtension.lowercased()
                        guard Self.mediaExtensions.contains(ext), let st = FileOps.status(dir + "/" + name) else { continue }
                        last = max(last, st.modified)
                        let relative = "\(seg.index)/\(name)"
                        let id = Self.assetId(rec.id, relative)
                        if rec.assetIndex(id) != nil { continue }
                        rec.assets.append(RecordingAsset(
                            id: id, recordingId: rec.id, segment: seg.index, role: .individual, format: ext, kind: ext == "ogg" ? "audio" : "video",
                            codecs: [], tracks: ext == "ogg" ? ["audio"] : ["video", "audio"], streamUserId: nil, endpointId: nil, group: nil,
                            state: .recording, progress: nil, failureReason: nil, size: st.size, relativePath: relative,
                            label: "\(name) (recovered after a restart)", userId: rec.startedBy, startTime: seg.startTime, endTime: st.modified,
                            hasGaps: true, droppedPackets: 0))
                    }
                }
                for i in rec.segments.indices where rec.segments[i].endTime == nil { rec.segments[i].endTime = last }
                rec.endTime = last
                rec.stopReason = "the server stopped while recording"
                changed = true
            }
            for i in rec.assets.indices {
                let a = rec.assets[i]
                if a.state == .recording {
                    if let st = FileOps.status(recDir + "/" + a.relativePath) {
                        rec.assets[i].state = .ready
                        rec.assets[i].size = st.size
                        rec.assets[i].endTime = rec.assets[i].endTime ?? st.modified
                        rec.assets[i].hasGaps = true
                    } else {
                        rec.assets[i].state = .failed
                        rec.assets[i].failureReason = "the file was missing after a restart"
                    }
                    changed = true
                }
            }
            // Derived assets caught mid-way are made again.
            let unfinished = rec.assets.filter { $0.role != .individual && $0.state == .processing }
            if !unfinished.isEmpty {
                let segments = Set(unfinished.filter { $0.role != .archive }.map(\.segment))
                rec.assets.removeAll { $0.role != .individual && $0.state == .processing }
                for i in rec.segments.indices where segments.contains(rec.segments[i].index) { rec.segments[i].processed = false }
                changed = true
            }
            Self.removeTemporaries(recDir)
            out.recordings[rec.id] = rec
            if changed { out.changed.append(rec.id) }
            let pending = rec.segments.filter { !$0.processed && $0.endTime != nil }
            if !pending.isEmpty || (rec.readyTime == nil && rec.endTime != nil) {
                Log.info("recordings: resuming post-processing of recording \(rec.id) (\(pending.count) segment(s))")
                out.jobs += pending.map { .segment(recordingId: rec.id, index: $0.index) }
                if pending.isEmpty { out.unsettled.append(rec.id) }
            }
        }
        if !loaded.isEmpty { Log.info("recordings: \(loaded.count) recording(s) found in \(catalog.root)") }
        return out
    }

    /// Deletes hidden `.part` outputs and metadata temporaries left by a crash.
    static func removeTemporaries(_ recDir: String) {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: recDir) else { return }
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if (name.hasPrefix(".") && name.hasSuffix(".part")) || name.hasPrefix("recording.json.tmp-") {
                unlink(recDir + "/" + rel)
            }
        }
    }
}

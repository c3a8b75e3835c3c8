import Foundation
import Handoff
import HTTP
import Recorder
import RTPRouter

/// Which conferences `RouterMedia` records, and the recorder thread (made
/// at the first recording). Lock-protected; touched only by control-plane calls.
final class RecordingRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var thread: RecorderThread?
    private var recorded: Set<String> = []
    let makeFactory: @Sendable () -> RecorderThread.RecordingFactory
    let tapSlots: Int

    init(makeFactory: @escaping @Sendable () -> RecorderThread.RecordingFactory = RecorderThread.defaultFactory,
         tapSlots: Int = RecorderTap.defaultSlotCount) {
        self.makeFactory = makeFactory
        self.tapSlots = tapSlots
    }

    /// Marks the conference recorded and queues its start on the recorder
    /// thread in the same critical section, so a publish that sees it
    /// recorded queues its stream after the start. Nil if already recorded.
    func begin(_ id: String, directory: String, startedAtMs: Int64) -> RecorderThread? {
        lock.lock(); defer { lock.unlock() }
        guard !recorded.contains(id) else { return nil }
        recorded.insert(id)
        let t = thread ?? RecorderThread(makeFactory: makeFactory)
        thread = t
        t.submit { _ = $0.startConference(id, directory: directory, startedAtMs: startedAtMs) }
        return t
    }

    func end(_ id: String) -> RecorderThread? {
        lock.lock(); defer { lock.unlock() }
        return recorded.remove(id) != nil ? thread : nil
    }

    /// The recorder thread if `id` is recorded.
    func recorder(for id: String) -> RecorderThread? {
        lock.lock(); defer { lock.unlock() }
        return recorded.contains(id) ? thread : nil
    }

    var counters: RecorderCounters? {
        lock.lock(); defer { lock.unlock() }
        return thread?.counters
    }
}

/// Contract C: recording the published streams of a conference through
/// recorder taps on its worker (docs/ARCHITECTURE.md, "Recorder tap").
extension RouterMedia {
    public func startRecording(conferenceId: String, directory: String, startedAtMs: Int64) async throws(HTTPError) {
        guard let recorder = recording.begin(conferenceId, directory: directory, startedAtMs: startedAtMs) else {
            throw HTTPError(409, "RECORDING_ACTIVE", "conference \(conferenceId) is already being recorded")
        }
        guard let w = existingWorker(for: conferenceId) else { return } // no stream yet: publishes will be tapped
        let streams = await w.call { $0.publishedStreams(conferenceId: conferenceId) }
        for s in streams { await tap(conferenceId: conferenceId, streamId: s.streamId, worker: w, recorder: recorder) }
    }

    public func rotateRecording(conferenceId: String, directory: String) async -> [RecordedFileInfo] {
        guard let recorder = recording.recorder(for: conferenceId) else { return [] }
        return await recorder.call { $0.rotate(conferenceId, directory: directory) }
    }

    public func stopRecording(conferenceId: String) async -> [RecordedFileInfo] {
        guard let recorder = recording.end(conferenceId) else { return [] }
        // Detach first: every packet the worker pushed is then in the rings,
        // and the recorder drains them all before finishing the files.
        if let w = existingWorker(for: conferenceId) {
            await w.call { $0.detachTaps(conferenceId: conferenceId) }
        }
        return await recorder.call { $0.stop(conferenceId) }
    }

    public func recordingFiles(conferenceId: String) async -> [RecordedFileInfo] {
        guard let recorder = recording.recorder(for: conferenceId) else { return [] }
        return await recorder.call { $0.files(conferenceId) }
    }

    /// Called after every successful publish: a stream of a recorded
    /// conference gets a tap and a file (an ICE restart keeps the existing ones).
    func tapIfRecorded(conferenceId: String, streamId: String, worker w: MediaWorker<WorkerRouter>) async {
        guard let recorder = recording.recorder(for: conferenceId) else { return }
        await tap(conferenceId: conferenceId, streamId: streamId, worker: w, recorder: recorder)
    }

    func tap(conferenceId: String, streamId: String, worker w: MediaWorker<WorkerRouter>, recorder: RecorderThread) async {
        let tap = recorder.makeTap(slotCount: recording.tapSlots)
        guard let stream = await w.call({ $0.attachTap(tap, conferenceId: conferenceId, streamId: streamId) }) else { return }
        let keyframe: @Sendable (Int) -> Void = { [weak w] track in
            w?.submit { $0.requestKeyframe(for: tap, conferenceId: conferenceId, streamId: streamId, track: track, now: monotonicNow()) }
        }
        let added = await recorder.call { $0.addStream(stream, tap: tap, keyframe: keyframe) }
        if !added { // the recording stopped meanwhile
            w.submit { $0.detachTap(tap, conferenceId: conferenceId, streamId: streamId) }
        }
    }

    /// The recorder's counters for `/metrics` (nil before the first recording).
    public var recorderCounters: RecorderCounters? { recording.counters }
}

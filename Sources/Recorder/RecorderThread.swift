import CSystem
import Foundation
import Glibc
import Handoff
import Synchronization

/// Counters of the recorder, read by `/metrics` from any thread.
public final class RecorderCounters: Sendable {
    /// RTP packets handed to a file writer.
    public let packets = Atomic<Int>(0)
    /// Packets the taps dropped because a ring was full (the recorder fell behind).
    public let dropped = Atomic<Int>(0)
    /// Bytes of files finished so far.
    let bytesFinished = Atomic<Int>(0)
    /// Bytes of files being written, sampled about once a second.
    let bytesOpen = Atomic<Int>(0)
    /// Files being written now.
    public let files = Atomic<Int>(0)
    /// Conferences being recorded now.
    public let conferences = Atomic<Int>(0)

    init() {}

    /// Bytes written to recording files (finished files plus the current size of open ones).
    public var bytesWritten: Int { bytesFinished.load(ordering: .relaxed) + bytesOpen.load(ordering: .relaxed) }
}

/// The recorder's one I/O thread: it drains every tap's ring at least every
/// `drainInterval` (or at once when a ring half fills and writes the eventfd),
/// drives the file writers of every recorded conference, and sends keyframe
/// requests back to the media workers through the closures it was given.
/// All disk I/O happens here, never on a media worker: a slow disk makes the
/// rings overflow (drops counted, files marked `hasGaps`), it never stalls
/// forwarding. The control plane reaches it through a mailbox (`call`).
public final class RecorderThread: @unchecked Sendable {
    /// Makes the writer of one stream's file: `basePath` has no extension.
    public typealias RecordingFactory = (_ basePath: String, _ tracks: [RecordedTrack]) throws -> TapRecording

    public let counters = RecorderCounters()
    public let drainInterval: UInt64
    /// Commands from the control plane; its eventfd also wakes the thread when a tap half fills.
    private let mailbox = Mailbox<State>()
    private var thread: Thread?

    /// The thread-confined state commands run against.
    public final class State {
        let factory: RecordingFactory
        let counters: RecorderCounters
        var conferences: [String: ConferenceRecorder] = [:]
        var stopping = false
        init(factory: @escaping RecordingFactory, counters: RecorderCounters) {
            self.factory = factory
            self.counters = counters
        }
    }

    /// Contract A's `StreamRecording`: Ogg Opus for audio-only streams, WebM (Matroska for H.264) otherwise.
    public static let defaultFactory: @Sendable () -> RecordingFactory = {
        { base, tracks in try StreamRecording(basePath: base, tracks: tracks) }
    }

    /// - Parameters:
    ///   - makeFactory: called once, on the recorder thread, to make the writer factory.
    public init(drainInterval: UInt64 = 20_000_000, makeFactory: @escaping @Sendable () -> RecordingFactory = RecorderThread.defaultFactory) {
        self.drainInterval = drainInterval
        let counters = self.counters
        let t = Thread { [self] in
            self.run(State(factory: makeFactory(), counters: counters))
        }
        t.name = "recorder"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// A tap for one stream whose ring wakes this thread when half full.
    public func makeTap(slotCount: Int = RecorderTap.defaultSlotCount) -> RecorderTap {
        RecorderTap(slotCount: slotCount, wakeFD: mailbox.fd, wakeWhenHalfFull: true)
    }

    /// Runs `work` on the recorder thread.
    public func submit(_ work: @escaping @Sendable (State) -> Void) {
        mailbox.post(work)
    }

    /// Runs `work` on the recorder thread and returns its result.
    public func call<T: Sendable>(_ work: @escaping @Sendable (State) -> T) async -> T {
        await withCheckedContinuation { cont in submit { cont.resume(returning: work($0)) } }
    }

    /// Finishes every recording and ends the thread.
    public func stop() {
        submit { s in
            for c in s.conferences.values { _ = c.stop(now: monotonicNow()) }
            s.conferences = [:]
            s.counters.conferences.store(0, ordering: .relaxed)
            s.stopping = true
        }
    }

    /// CLOCK_REALTIME in ms (recording start times and file offsets).
    public static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private func run(_ state: State) {
        var pfd = pollfd(fd: mailbox.fd, events: Int16(POLLIN), revents: 0)
        var lastTick: UInt64 = 0
        var lastSizeSample: UInt64 = 0
        while !state.stopping {
            _ = poll(&pfd, 1, Int32(drainInterval / 1_000_000))
            mailbox.drain(state) // also resets a tap's half-full wake-up
            let now = monotonicNow()
            for c in state.conferences.values { c.drain(now: now) }
            if now &- lastTick >= 50_000_000 {
                lastTick = now
                for c in state.conferences.values { c.tick(now: now) }
            }
            if now &- lastSizeSample >= 1_000_000_000 {
                lastSizeSample = now
                for c in state.conferences.values { c.sampleSizes() }
            }
        }
    }
}

/// The commands of the recordings API, run on the recorder thread.
extension RecorderThread.State {
    /// Starts recording a conference into `directory` (created if missing). False if it is already recorded.
    public func startConference(_ id: String, directory: String, startedAtMs: Int64) -> Bool {
        guard conferences[id] == nil else { return false }
        _ = try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        conferences[id] = ConferenceRecorder(conferenceId: id, directory: directory, startedAtMs: startedAtMs, factory: factory, counters: counters)
        counters.conferences.store(conferences.count, ordering: .relaxed)
        return true
    }

    public func isRecording(_ id: String) -> Bool { conferences[id] != nil }

    /// A newly tapped stream of a recorded conference; false (tap closed) if the conference is not recorded.
    public func addStream(_ stream: TappedStream, tap: RecorderTap, keyframe: @escaping @Sendable (Int) -> Void) -> Bool {
        guard let c = conferences[stream.conferenceId] else { tap.close(); return false }
        c.add(stream: stream, tap: tap, keyframe: keyframe)
        return true
    }

    public func rotate(_ id: String, directory: String) -> [RecordedFileInfo] {
        guard let c = conferences[id] else { return [] }
        _ = try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return c.rotate(to: directory, now: monotonicNow())
    }

    public func stop(_ id: String) -> [RecordedFileInfo] {
        guard let c = conferences.removeValue(forKey: id) else { return [] }
        counters.conferences.store(conferences.count, ordering: .relaxed)
        return c.stop(now: monotonicNow())
    }

    public func files(_ id: String) -> [RecordedFileInfo] { conferences[id]?.files() ?? [] }
}

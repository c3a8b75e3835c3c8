import Foundation
import Recorder

/// One input of a mix or composition: a recorded file and where it starts
/// relative to the segment's start — the Recorder's `MixInput` (one type, no
/// field-by-field copy between them).
public typealias PostProcessingInput = MixInput

/// What a post-processing step produced.
public struct ProcessedFile: Sendable, Equatable {
    public var size: Int64
    public var durationMs: Int64
    public init(size: Int64, durationMs: Int64) {
        self.size = size
        self.durationMs = durationMs
    }
}

/// The seam to the post-processing code (contract B, `PostProcessor` in the
/// Recorder module): the recording service decides what to make and when,
/// this does the decoding, mixing and encoding. Every call is blocking and
/// runs on the service's background queue; `to` is a temporary path that the
/// service renames into place once the call returned.
public protocol RecordingPostProcessing: Sendable {
    /// Called once on the post-processing thread before its first job (e.g. to lower its priority).
    func prepareThread()
    func mixAudio(_ inputs: [PostProcessingInput], to path: String, progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile
    func composeVideo(_ inputs: [PostProcessingInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                      progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile
    func archive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> ProcessedFile
}

/// Used while this build has no post-processor: every job fails with this
/// reason, which the assets carry, rather than producing anything fake.
public struct UnavailablePostProcessing: RecordingPostProcessing {
    public func prepareThread() {}
    public struct NotAvailable: Error, CustomStringConvertible {
        public var description: String { "post-processing (libopus/libvpx mixing) is not available in this build" }
    }
    public init() {}
    public func mixAudio(_ inputs: [PostProcessingInput], to path: String, progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        throw NotAvailable()
    }
    public func composeVideo(_ inputs: [PostProcessingInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                             progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        throw NotAvailable()
    }
    public func archive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> ProcessedFile {
        throw NotAvailable()
    }
}

/// Runs post-processing work one job at a time on its own thread, started
/// at the first job, whose scheduling priority `prepare` may lower (nice),
/// so mixing never competes with the media workers or the API. A dedicated
/// thread, not a Dispatch queue: lowering a pool thread's priority would
/// leak into unrelated work that later runs on it.
final class PostProcessingQueue: @unchecked Sendable {
    private let lock = NSCondition()
    private var work: [() -> Void] = []
    private var thread: Thread?
    private let prepare: @Sendable () -> Void

    init(prepare: @escaping @Sendable () -> Void = {}) { self.prepare = prepare }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, Error> {
        await withCheckedContinuation { cont in
            lock.lock()
            work.append { cont.resume(returning: Result { try body() }) }
            if thread == nil {
                let t = Thread { [self] in loop() }
                t.name = "sfu-postprocessing"
                thread = t
                t.start()
            }
            lock.signal()
            lock.unlock()
        }
    }

    private func loop() {
        prepare()
        while true {
            lock.lock()
            while work.isEmpty { lock.wait() }
            let job = work.removeFirst()
            lock.unlock()
            job()
        }
    }
}

import Foundation

/// One input of a mix or composition: a recorded file and where it starts
/// relative to the segment's start.
public struct PostProcessingInput: Sendable, Equatable {
    public var path: String
    public var startOffsetMs: Int64
    public var label: String
    public init(path: String, startOffsetMs: Int64, label: String) {
        self.path = path
        self.startOffsetMs = startOffsetMs
        self.label = label
    }
}

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
    func mixAudio(_ inputs: [PostProcessingInput], to path: String, progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile
    func composeVideo(_ inputs: [PostProcessingInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                      progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile
    func archive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> ProcessedFile
}

/// Used while this build has no post-processor: every job fails with this
/// reason, which the assets carry, rather than producing anything fake.
public struct UnavailablePostProcessing: RecordingPostProcessing {
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

/// Runs post-processing work one job at a time on a background-priority
/// thread, so mixing never competes with the media workers or the API.
final class PostProcessingQueue: Sendable {
    private let queue = DispatchQueue(label: "sfu.recordings.postprocessing", qos: .background)

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, Error> {
        await withCheckedContinuation { cont in
            queue.async { cont.resume(returning: Result { try body() }) }
        }
    }
}

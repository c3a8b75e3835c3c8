import Recorder

/// The recording service's post-processing seam filled by contract B's
/// `PostProcessor` (libopus mix, libvpx grid video, ustar archive). Each
/// call already runs at a lowered priority and writes `<path>.part`
/// renamed into place; the service adds its own hidden temporary name and
/// asset states around it.
public struct RecorderPostProcessing: RecordingPostProcessing {
    public init() {}

    public func prepareThread() {}

    public func mixAudio(_ inputs: [PostProcessingInput], to path: String, progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        let s = try PostProcessor.mixAudio(inputs, to: path, progress: progress)
        return ProcessedFile(size: s.size, durationMs: s.durationMs)
    }

    public func composeVideo(_ inputs: [PostProcessingInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                             progress: @escaping @Sendable (Double) -> Void) throws -> ProcessedFile {
        let s = try PostProcessor.composeVideo(inputs, audio: audio, to: path, width: width, height: height, fps: fps, progress: progress)
        return ProcessedFile(size: s.size, durationMs: s.durationMs)
    }

    public func archive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> ProcessedFile {
        let s = try PostProcessor.archive(files, manifest: manifest, to: path)
        return ProcessedFile(size: s.size, durationMs: s.durationMs)
    }
}

// Post-processing of a finished recording (issue 5, contract B): the
// combined audio, the combined grid video and the archive. Callers run
// these on a background thread (see `lowerThreadPriority`); each call is
// synchronous, single-threaded, and writes its output under a temporary
// name renamed into place at the end, so a half-written file never shows.
#if canImport(Glibc)
import Glibc
#endif

/// One recorded file to combine, placed on the recording's timeline (the
/// recording service's `PostProcessingInput` is this same type).
public struct MixInput: Sendable, Equatable {
    public var path: String
    /// Where the file's first sample/frame plays, relative to the recording start.
    public var startOffsetMs: Int64
    /// Who it is (shown nowhere yet; kept for logs and future captions).
    public var label: String
    public init(path: String, startOffsetMs: Int64, label: String) {
        self.path = path
        self.startOffsetMs = startOffsetMs
        self.label = label
    }
}

/// Why post-processing failed, beyond input and codec errors.
public enum PostProcessingError: Error, Equatable, CustomStringConvertible {
    case noInputs
    case invalidArgument(String)
    case io(String, Int32)
    public var description: String {
        switch self {
        case .noInputs: return "nothing to process: no inputs"
        case .invalidArgument(let why): return "invalid argument: \(why)"
        case .io(let path, let err): return "\(path): \(String(cString: strerror(err)))"
        }
    }
}

/// The post-processing jobs of a recording. A namespace: every job takes
/// its inputs and output path and returns a summary of what it wrote.
public enum PostProcessor {
    /// Lowers the calling thread's scheduling priority (nice 0…19, default
    /// 10) so post-processing never competes with the media workers. Linux
    /// applies setpriority(PRIO_PROCESS, tid) to that one thread only.
    /// Returns false when the kernel refused.
    @discardableResult
    public static func lowerThreadPriority(nice: Int32 = 10) -> Bool {
        #if os(Linux)
        guard let tid = currentThreadID() else { return false }
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, max(0, nice))) == 0
        #else
        return false
        #endif
    }

    /// The calling thread's nice value (for tests and logs).
    public static func threadNice() -> Int32 {
        #if os(Linux)
        guard let tid = currentThreadID() else { return 0 }
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
        #else
        return 0
        #endif
    }

    /// The kernel thread id: gettid(2) is not in Swift's Glibc module and
    /// syscall(2) is variadic, so read it from /proc/thread-self → "PID/task/TID".
    static func currentThreadID() -> id_t? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return link.split(separator: "/").last.flatMap { id_t($0) }
    }
}

/// A file written under "<path>.part" and renamed into place by `commit`.
final class PartFile {
    let path: String
    let partPath: String
    let fd: Int32
    private var committed = false

    init(_ path: String) throws {
        self.path = path
        partPath = path + ".part"
        fd = open(partPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PostProcessingError.io(partPath, errno) }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let error = writeAll(fd, bytes) { throw PostProcessingError.io(partPath, error) }
    }

    /// fsyncs, closes and renames into place; returns the size.
    func commit() throws -> Int64 {
        guard fsync(fd) == 0 else { throw PostProcessingError.io(partPath, errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw PostProcessingError.io(partPath, errno) }
        close(fd)
        committed = true
        guard rename(partPath, path) == 0 else { throw PostProcessingError.io(path, errno) }
        return Int64(st.st_size)
    }

    deinit {
        if !committed {
            close(fd)
            unlink(partPath)
        }
    }
}

/// Lets OggOpusWriter write pages straight into a part file.
struct PartFileOggSink: OggSink {
    let file: PartFile
    func write(_ bytes: UnsafeRawBufferPointer) throws { try file.write(bytes) }
}

extension PostProcessor {
    /// The combined audio: every input's Opus track decoded, placed at its
    /// start offset on a 48 kHz stereo timeline, mixed with a soft limiter
    /// and encoded (Opus 64 kbit/s, 20 ms) into Ogg Opus at `path`. Its
    /// length is the longest input end. Inputs: .ogg, or .webm/.mkv (their
    /// Opus track). See docs/POSTPROCESSING.md.
    public static func mixAudio(_ inputs: [MixInput], to path: String,
                                progress: @escaping (Double) -> Void) throws -> RecordedFileSummary {
        try withLowPriority { try AudioMixer.mix(inputs, to: path, progress: progress) }
    }

    /// The combined video: the VP8/VP9 inputs present at each frame laid out
    /// in a grid on a `width` × `height` canvas (even sizes), encoded as VP8
    /// at `fps` into WebM at `path`, with the Opus packets of `audio` (an Ogg
    /// Opus file, normally `mixAudio`'s output) muxed in. Inputs without a
    /// video track are ignored; none at all is `PostProcessingError.noInputs`.
    public static func composeVideo(_ inputs: [MixInput], audio: String?, to path: String, width: Int, height: Int, fps: Int,
                                    progress: @escaping (Double) -> Void) throws -> RecordedFileSummary {
        try withLowPriority {
            try CombinedVideo.write(inputs, audio: audio, to: path, width: width, height: height, fps: fps, progress: progress)
        }
    }

    /// One POSIX ustar file at `path`: `manifest` as manifest.json first,
    /// then every file under its relative name. Absolute names, `.`/`..`
    /// components, duplicates and members over 8 GiB are rejected.
    public static func archive(_ files: [(name: String, path: String)], manifest: [UInt8],
                               to path: String) throws -> RecordedFileSummary {
        try withLowPriority {
            let file = try PartFile(path)
            var tar = TarWriter(file: file, mtime: Int64(time(nil)))
            try tar.add(name: "manifest.json", bytes: manifest)
            for f in files { try tar.add(name: f.name, path: f.path) }
            try tar.finish()
            let size = try file.commit()
            return RecordedFileSummary(path: path, format: "tar", durationMs: 0, size: size, hasGaps: false)
        }
    }

    /// Runs `body` with the calling thread at nice 10 and restores its
    /// priority afterwards (the caller's thread may be a pooled one).
    static func withLowPriority<T>(_ body: () throws -> T) rethrows -> T {
        let before = threadNice()
        let lowered = before < 10 && lowerThreadPriority(nice: 10)
        defer {
            #if os(Linux)
            // Raising it back needs CAP_SYS_NICE unless RLIMIT_NICE allows; best effort.
            if lowered, let tid = currentThreadID() { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, before) }
            #endif
        }
        return try body()
    }
}

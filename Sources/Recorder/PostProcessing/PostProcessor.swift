// Post-processing of a finished recording (issue 5, contract B): the
// combined audio, the combined grid video and the archive. Callers run
// these on a background thread (see `lowerThreadPriority`); each call is
// synchronous, single-threaded, and writes its output under a temporary
// name renamed into place at the end, so a half-written file never shows.
#if canImport(Glibc)
import Glibc
#endif

/// One recorded file to combine, placed on the recording's timeline.
public struct MixInput: Sendable {
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

/// What a post-processing job wrote (before the contract's
/// RecordedFileSummary from the `webm` branch is available).
struct PostOutput {
    var path: String
    var format: String
    var durationMs: Int64
    var size: Int64
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
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw PostProcessingError.io(partPath, errno)
            }
            offset += n
        }
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
    /// Writes `manifest` as manifest.json and then every file into one
    /// POSIX ustar archive at `path` (written as `path.part`, renamed at the
    /// end). Member names are relative paths; duplicates, absolute or
    /// `..` names and members over 8 GiB are rejected.
    static func writeArchive(_ files: [(name: String, path: String)], manifest: [UInt8], to path: String) throws -> PostOutput {
        let file = try PartFile(path)
        var tar = TarWriter(file: file, mtime: Int64(time(nil)))
        try tar.add(name: "manifest.json", bytes: manifest)
        for f in files { try tar.add(name: f.name, path: f.path) }
        try tar.finish()
        let size = try file.commit()
        return PostOutput(path: path, format: "tar", durationMs: 0, size: size)
    }
}

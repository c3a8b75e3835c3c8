// Where the WebM writer's bytes go. Unlike Ogg, Matroska needs a few bytes
// rewritten at the end (Segment size, Duration, SeekHead), so a sink can
// also overwrite earlier bytes and make them durable.
#if canImport(Glibc)
import Glibc
#endif

/// The destination of a WebM/Matroska file: append, patch written bytes, sync.
public protocol WebMSink: AnyObject {
    /// Appends at the end.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Overwrites already written bytes at `offset` (never past the end).
    func patch(at offset: Int64, _ bytes: UnsafeRawBufferPointer) throws
    /// Makes everything written durable (fsync for files).
    func sync() throws
}

/// Errors of the WebM writer and its sinks.
public enum WebMWriteError: Error, Equatable {
    /// A system call failed with this errno.
    case io(Int32)
    /// Writing after `finish()`.
    case finished
    /// A block for a track number the writer was not created with.
    case unknownTrack(Int)
    /// A block's timestamp is negative (the file timeline starts at 0).
    case negativeTimestamp(Int64)
    /// Patching past the end of what was written.
    case patchOutOfRange
    /// A block larger than the writer's limit.
    case blockTooLarge(Int)
}

/// Collects the file in memory (tests); a class so copies share the bytes.
public final class WebMBufferSink: WebMSink {
    public private(set) var bytes: [UInt8] = []
    public private(set) var syncCount = 0
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
    public func patch(at offset: Int64, _ bytes: UnsafeRawBufferPointer) throws {
        guard offset >= 0, Int(offset) + bytes.count <= self.bytes.count else { throw WebMWriteError.patchOutOfRange }
        for (i, b) in bytes.enumerated() { self.bytes[Int(offset) + i] = b }
    }
    public func sync() throws { syncCount += 1 }
}

#if canImport(Glibc)
/// Writes to a file descriptor it owns (closed by `close()` or on deinit):
/// write(2) appends, pwrite(2) patches, fsync(2) syncs. Bytes handed to the
/// kernel survive a crash of the process.
public final class WebMFileSink: WebMSink {
    public private(set) var fd: Int32
    public private(set) var size: Int64 = 0

    /// Creates (truncates) the file at `path`.
    public init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw WebMWriteError.io(errno) }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let error = writeAll(fd, bytes) { throw WebMWriteError.io(error) }
        size += Int64(bytes.count)
    }

    public func patch(at offset: Int64, _ bytes: UnsafeRawBufferPointer) throws {
        guard offset >= 0, offset + Int64(bytes.count) <= size else { throw WebMWriteError.patchOutOfRange }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw WebMWriteError.io(errno)
            }
            done += n
        }
    }

    public func sync() throws {
        if fsync(fd) != 0 { throw WebMWriteError.io(errno) }
    }
}
#endif

// Where Ogg pages go: a file, a buffer in a test, a socket.
#if canImport(Glibc)
import Glibc
#endif

/// The destination of finished Ogg pages. The writers never do I/O
/// themselves, so they stay pure and testable; each `write` gets one whole
/// page, so a sink that writes straight to a file descriptor leaves at most
/// the unflushed page unwritten when the process dies.
public protocol OggSink {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A sink that hands each page to a closure (tests, in-memory buffers).
public struct OggClosureSink: OggSink {
    let body: (UnsafeRawBufferPointer) throws -> Void
    public init(_ body: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.body = body }
    public func write(_ bytes: UnsafeRawBufferPointer) throws { try body(bytes) }
}

/// A sink that collects pages in memory; a class so copies share the bytes.
public final class OggBufferSink: OggSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
}

/// Errors of the Ogg writers and sinks.
public enum OggError: Error, Equatable {
    /// write(2) failed with this errno.
    case io(Int32)
    /// The Opus packet's TOC does not give a valid duration (RFC 6716 §3.1–3.2).
    case invalidOpusPacket
    /// Writing after `finish()`.
    case finished
}

#if canImport(Glibc)
/// A sink that writes each page with write(2) to a file descriptor it does
/// not own. A page handed to the kernel survives a crash of the process.
public struct OggFileDescriptorSink: OggSink {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let error = writeAll(fd, bytes) { throw OggError.io(error) }
    }
}

/// Writes every byte to `fd`, retrying after EINTR and short writes;
/// the errno of a failed write(2), or nil. Shared by the Ogg and WebM file sinks.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += n
    }
    return nil
}
#endif

import Glibc
import CSystem
import HTTP

/// A failed system call on the store's files, with the errno that says why.
/// A full disk (ENOSPC, EDQUOT) becomes 507; anything else 500.
public struct DiskError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let path: String
    public let errno: Int32

    init(_ call: String, _ path: String, _ e: Int32 = Glibc.errno) {
        self.call = call
        self.path = path
        self.errno = e
    }

    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    public var description: String { "\(call)(\(path)): \(String(cString: strerror(errno)))" }

    public var httpError: HTTPError {
        if isNoSpace {
            return HTTPError(507, "INSUFFICIENT_STORAGE", "the store's disk is full; nothing was changed")
        }
        return HTTPError(500, "STORAGE_ERROR", "storage failure: \(call) failed: \(String(cString: strerror(errno)))")
    }
}

/// Thin, errno-checked wrappers over the POSIX calls the store uses. Every
/// one blocks; callers run them on `BlockingIO`.
enum Disk {
    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(DiskError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { p in Glibc.write(fd, p.baseAddress! + done, p.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DiskError("write", path)
            }
            if n == 0 { throw DiskError("write", path, EIO) }
            done += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(DiskError) {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw DiskError("fsync", path) }
        }
    }

    /// Makes a directory's entries (a rename, a new file, an unlink) durable.
    static func fsyncDirectory(_ path: String) throws(DiskError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw DiskError("open", path) }
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Creates `path` (mode 0755) if missing; true if it was created.
    @discardableResult
    static func makeDirectory(_ path: String) throws(DiskError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST {
            var st = stat()
            if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return false }
            throw DiskError("mkdir", path, ENOTDIR)
        }
        throw DiskError("mkdir", path)
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws(DiskError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            try makeDirectory(prefix)
        }
    }

    /// The file's status, or nil if it does not exist.
    static func status(_ path: String) throws(DiskError) -> stat? {
        var st = stat()
        if stat(path, &st) == 0 { return st }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw DiskError("stat", path)
    }

    static func status(fd: Int32, path: String) throws(DiskError) -> stat {
        var st = stat()
        if fstat(fd, &st) != 0 { throw DiskError("fstat", path) }
        return st
    }

    /// The names in a directory (without `.` and `..`); empty if it does not exist.
    static func list(_ path: String) throws(DiskError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw DiskError("opendir", path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: - The creation time, kept in an extended attribute

    static let createdAttribute = "user.sfu.created"

    /// Records the first-creation time on a file; silently skipped where
    /// the file system has no user extended attributes.
    @discardableResult
    static func setCreated(_ path: String, millis: Int64) -> Bool {
        let s = String(millis)
        return s.withCString { setxattr(path, createdAttribute, $0, strlen($0), 0) } == 0
    }

    static func created(_ path: String) -> Int64? {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = getxattr(path, createdAttribute, &buf, 31)
        guard n > 0 else { return nil }
        return Int64(String(decoding: buf[..<n], as: UTF8.self))
    }

    static func randomHex(_ bytes: Int) -> String {
        var out = ""
        for _ in 0..<bytes {
            let b = UInt8.random(in: 0...255)
            out += (b < 16 ? "0" : "") + String(b, radix: 16)
        }
        return out
    }
}

extension stat {
    /// Modification time in Unix milliseconds.
    var modifiedMillis: Int64 { Int64(st_mtim.tv_sec) * 1000 + Int64(st_mtim.tv_nsec) / 1_000_000 }
    var isRegularFile: Bool { (st_mode & S_IFMT) == S_IFREG }
}

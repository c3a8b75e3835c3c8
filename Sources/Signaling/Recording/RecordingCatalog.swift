import Foundation
import Glibc
import HTTP
import Identifier

/// The recordings on disk: `<root>/<conference>/<recording id>/recording.json`
/// next to the segment directories `0/`, `1/`, … the recorder writes into.
///
/// Metadata is replaced atomically (written to a temporary file, fsynced,
/// renamed, directory fsynced), so after a crash each recording's metadata
/// is either the previous or the new version, never half of one. All
/// blocking file work runs on one serial utility queue, never on Swift's
/// cooperative pool, and in submission order.
final class RecordingCatalog: Sendable {
    let root: String
    private let queue = DispatchQueue(label: "sfu.recordings.catalog", qos: .utility)

    init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// A conference id as a directory name: never the raw id (it may hold
    /// "/", start with "." or be any printable text), but its one
    /// `Identifier.fileName` (the same name as before for ids of A-Z a-z 0-9 . _ ~ -).
    static func directoryName(_ conferenceId: String) -> String {
        Identifier.fileName(conferenceId)
    }

    func recordingDirectory(conferenceId: String, recordingId: String) -> String {
        root + "/" + Self.directoryName(conferenceId) + "/" + recordingId
    }

    func segmentDirectory(conferenceId: String, recordingId: String, segment: Int) -> String {
        recordingDirectory(conferenceId: conferenceId, recordingId: recordingId) + "/\(segment)"
    }

    /// Runs blocking file work on the catalog's queue.
    func io<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            queue.async { cont.resume(with: Result { try body() }) }
        }
    }

    /// Writes `recording.json` atomically.
    func save(_ recording: Recording) async throws {
        let dir = recordingDirectory(conferenceId: recording.channel, recordingId: recording.id)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(recording)
        try await io { try FileOps.writeAtomically(Array(data), to: dir + "/recording.json") }
    }

    /// Every recording found under the root; unreadable metadata is logged and skipped.
    func loadAll() throws -> [Recording] {
        var out: [Recording] = []
        let fm = FileManager.default
        for conf in (try? fm.contentsOfDirectory(atPath: root)) ?? [] {
            let confDir = root + "/" + conf
            for rid in (try? fm.contentsOfDirectory(atPath: confDir)) ?? [] {
                let path = confDir + "/" + rid + "/recording.json"
                guard let data = fm.contents(atPath: path) else { continue }
                do {
                    out.append(try JSONDecoder().decode(Recording.self, from: data))
                } catch {
                    Log.warn("recordings: ignoring unreadable \(path): \(error)")
                }
            }
        }
        return out
    }

    /// Free bytes for an unprivileged writer on the recordings' file system.
    func freeBytes() -> Int64? {
        var s = statvfs()
        guard statvfs(root, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }
}

/// Small blocking file operations used by the recordings code.
enum FileOps {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ call: String, _ path: String) { description = "\(call)(\(path)): \(String(cString: strerror(errno)))" }
    }

    /// temp + write + fsync + rename + fsync(dir).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw Failure("open", tmp) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 { if errno == EINTR { continue }; close(fd); throw Failure("write", tmp) }
            off += n
        }
        if fsync(fd) != 0 { close(fd); throw Failure("fsync", tmp) }
        close(fd)
        if rename(tmp, path) != 0 { throw Failure("rename", path) }
        ok = true
        fsyncDirectory((path as NSString).deletingLastPathComponent)
    }

    static func fsyncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Size and modification time (ms) of a regular file, or nil.
    static func status(_ path: String) -> (size: Int64, modified: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000)
    }

    /// Regular files directly in `dir` (names only).
    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { status(dir + "/" + $0) != nil }.sorted()
    }
}

import Foundation
import Glibc
import HTTP

/// One record store (records or prerecordings): Ogg Opus items keyed by
/// event and start, kept as files under `DATA_DIR/<kind>/<event>/<start>.ogg`.
///
/// Writes are crash-safe: an item is streamed to `.tmp/<pid>-<random>.part`,
/// fsynced, and renamed into place under the store's commit lock, then the
/// directory is fsynced. Readers therefore only ever see complete items,
/// concurrent uploads of one key end with exactly one of them in place, and
/// after a crash only leftover temporary files remain, which `init` removes.
/// The same type serves HTTP (`RecordStoreHandler`) and the recorder
/// (`store(event:start:contentsOf:)`).
public final class RecordStore: @unchecked Sendable {
    /// Limits of the HTTP face.
    public struct Limits: Sendable {
        /// Largest item accepted (413 beyond).
        public var maxItemSize: Int64 = 2 << 30
        /// Uploads in progress at once (503 beyond).
        public var maxConcurrentUploads = 16
        /// Seconds between SSE heartbeat comments.
        public var sseHeartbeat: Double = 15
        /// Events kept for `Last-Event-ID` resumption.
        public var keptEvents = 1000
        public init() {}
    }

    public let kind: StoreKind
    /// `DATA_DIR/<kind>`.
    public let root: String
    let tmpDir: String
    public let limits: Limits
    public let events: EventHub
    let uploads: UploadGate
    /// Serialises the short critical section of every change: check the
    /// current version, rename or unlink, fsync the directory, publish the event.
    private let commitLock = NSLock()

    /// Opens (creating if needed) the store under `dataDirectory` and removes
    /// temporary files left by an earlier process.
    public init(kind: StoreKind, dataDirectory: String, limits: Limits = Limits()) throws {
        self.kind = kind
        self.limits = limits
        self.root = Disk.join(dataDirectory, kind.directoryName)
        self.tmpDir = Disk.join(root, ".tmp")
        self.events = EventHub(kind: kind, capacity: limits.keptEvents)
        self.uploads = UploadGate(limit: limits.maxConcurrentUploads)
        do {
            try Disk.makeDirectories(tmpDir)
        } catch {
            throw ConfigurationError("\(kind.title): cannot create \(tmpDir): \(error)")
        }
        let removed = try removeLeftovers()
        if removed > 0 { Log.info("\(kind.title): removed \(removed) temporary file(s) left by an earlier process (unfinished uploads, replaced versions)") }
    }

    /// A start-up problem with the store's directory.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Deletes `.tmp` files not owned by a live process; returns how many.
    func removeLeftovers() throws -> Int {
        var removed = 0
        let me = getpid()
        for name in try Disk.list(tmpDir) {
            if let dash = name.firstIndex(of: "-"), let pid = Int32(name[..<dash]), pid != me, pid > 0,
               kill(pid, 0) == 0 || errno == EPERM, isStoreProcess(pid) {
                continue // an upload in progress in another live server on this data directory
            }
            if unlink(Disk.join(tmpDir, name)) == 0 { removed += 1 }
        }
        if removed > 0 { try? Disk.fsyncDirectory(tmpDir) }
        return removed
    }

    private func isStoreProcess(_ pid: Int32) -> Bool {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
              let mine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return false }
        return exe == mine
    }

    // MARK: - Paths

    func eventDirectory(_ event: String) -> String { Disk.join(root, event) }
    func path(_ key: ItemKey) -> String { Disk.join(eventDirectory(key.event), key.fileName) }

    // MARK: - Reading

    /// The current item at `key`, or nil.
    public func item(_ key: ItemKey) throws(DiskError) -> StoredItem? {
        let p = path(key)
        guard let st = try Disk.status(p), st.isRegularFile else { return nil }
        return StoredItem(key: key, status: st, createdMillis: Disk.created(p))
    }

    /// Opens the current item for sending: the descriptor and the metadata
    /// of exactly that file (a later replacement does not affect either).
    public func open(_ key: ItemKey) throws(DiskError) -> (file: OpenFile, item: StoredItem)? {
        let p = path(key)
        let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw DiskError("open", p)
        }
        let file = OpenFile(descriptor: fd)
        let st = try Disk.status(fd: fd, path: p)
        guard st.isRegularFile else { return nil }
        return (file, StoredItem(key: key, status: st, createdMillis: Disk.created(p)))
    }

    /// The event's items sorted by start, limited to `from <= start < to`.
    public func list(event: String, from: Int64? = nil, to: Int64? = nil) throws -> [StoredItem] {
        let dir = eventDirectory(try EventID.parse(event))
        var items: [StoredItem] = []
        for name in try Disk.list(dir) where name.hasSuffix(".ogg") {
            let start = String(name.dropLast(4))
            // Only canonical names are items; anything else in the directory is ignored.
            guard let key = try? ItemKey(event: event, start: start), key.fileName == name else { continue }
            if let from, key.startMillis < from { continue }
            if let to, key.startMillis >= to { continue }
            guard let item = try self.item(key) else { continue } // deleted meanwhile
            items.append(item)
        }
        return items.sorted { $0.key.startMillis < $1.key.startMillis }
    }

    /// Every event that has at least one item directory (unsorted).
    public func eventIDs() throws -> [String] {
        try Disk.list(root).filter { (try? EventID.parse($0)) == $0 }
    }

    // MARK: - Writing

    /// Streams `next()`'s pieces into a new version of `key`. The first bytes
    /// must form an Ogg page carrying `OpusHead` (415 otherwise, nothing kept).
    /// `precondition` is evaluated against the current version under the commit
    /// lock (412 when it fails). Throws `HTTPError`s.
    public func ingest(_ key: ItemKey, contentType: String, declaredLength: Int64? = nil,
                       precondition: (@Sendable (Validators?) -> Conditional.Outcome)? = nil,
                       next: () async throws -> [UInt8]?) async throws -> StoreResult {
        try RecordStore.checkContentType(contentType)
        if let n = declaredLength, n > limits.maxItemSize {
            throw HTTPError(413, "PAYLOAD_TOO_LARGE", "an item may have at most \(limits.maxItemSize) bytes, this one has \(n)")
        }
        let tmp = Disk.join(tmpDir, "\(getpid())-\(Disk.randomHex(12)).part")
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw DiskError("open", tmp).httpError }
        let temp = TempFile(fd: fd, path: tmp)
        do {
            if let n = declaredLength, n > 0 {
                let rc = try await BlockingIO.run { posix_fallocate(fd, 0, off_t(n)) }
                if rc == ENOSPC || rc == EDQUOT { throw DiskError("fallocate", tmp, rc).httpError }
            }
            var sniffer = OggOpusSniffer()
            var total: Int64 = 0
            // Small pieces (a chunked upload's chunks) are gathered up to
            // `batch` bytes so that each trip to an I/O thread writes a lot.
            let batch = 1 << 20
            var pending: [UInt8] = []
            func flush() async throws {
                if pending.isEmpty { return }
                let bytes = pending
                pending = []
                do {
                    try await BlockingIO.run { try Disk.writeAll(fd, bytes, path: tmp) }
                } catch let e as DiskError {
                    throw e.httpError
                }
            }
            while let piece = try await next() {
                if piece.isEmpty { continue }
                if case .rejected(let why) = sniffer.feed(piece) { throw RecordStore.notOggOpus(why) }
                total += Int64(piece.count)
                if total > limits.maxItemSize {
                    throw HTTPError(413, "PAYLOAD_TOO_LARGE", "an item may have at most \(limits.maxItemSize) bytes")
                }
                if pending.isEmpty && piece.count >= batch {
                    pending = piece
                } else {
                    if pending.isEmpty { pending.reserveCapacity(batch) }
                    pending.append(contentsOf: piece)
                }
                if pending.count >= batch { try await flush() }
            }
            if case .rejected(let why) = sniffer.finish() { throw RecordStore.notOggOpus(why) }
            try await flush()
            let written = total
            let result: StoreResult = try await BlockingIO.run { [self] in
                do {
                    if let n = declaredLength, n != written, ftruncate(fd, off_t(written)) != 0 { throw DiskError("ftruncate", tmp) }
                    try Disk.fsync(fd, path: tmp)
                    let (result, retired) = try commit(temp: tmp, fd: fd, key: key, precondition: precondition)
                    if let retired { unlink(retired) } // outside the commit lock
                    return result
                } catch let e as DiskError {
                    throw e.httpError
                }
            }
            temp.closeKeepingFile()
            return result
        } catch {
            await temp.discard()
            throw error
        }
    }

    /// A name in `.tmp` for an old version on its way out. Freeing a large
    /// file's blocks takes a while (0.3 s for 1 GiB on ext4), so the commit
    /// lock only moves the old version here (a link or a rename) and the
    /// unlink happens after the lock is released. A crash in between leaves
    /// it to the start-up cleanup.
    private func retiredName() -> String { Disk.join(tmpDir, "\(getpid())-\(Disk.randomHex(12)).old") }

    /// Renames a complete, fsynced temporary file into place as `key`; also
    /// returns the old version's retired name to unlink, if any.
    private func commit(temp: String, fd: Int32, key: ItemKey, precondition: (@Sendable (Validators?) -> Conditional.Outcome)?) throws -> (StoreResult, String?) {
        commitLock.lock()
        defer { commitLock.unlock() }
        let target = path(key)
        let previous = try item(key)
        if let precondition, case .preconditionFailed(let why) = precondition(previous?.validators) {
            throw HTTPError(412, "PRECONDITION_FAILED", why)
        }
        let dir = eventDirectory(key.event)
        if try Disk.makeDirectory(dir) { try Disk.fsyncDirectory(root) }
        // The key's creation time survives replacements; a new key was created when its bytes were written.
        if Disk.setCreated(temp, millis: try previous?.createdMillis ?? Disk.status(fd: fd, path: temp).modifiedMillis) {
            try Disk.fsync(fd, path: temp)
        }
        var retired: String?
        if previous != nil {
            let r = retiredName()
            if link(target, r) == 0 { retired = r }
        }
        if rename(temp, target) != 0 {
            if let retired { unlink(retired) }
            throw DiskError("rename", target)
        }
        try Disk.fsyncDirectory(dir)
        try? Disk.fsyncDirectory(tmpDir)
        guard let stored = try item(key) else { throw DiskError("stat", target, ENOENT) }
        events.publish(type: previous == nil ? "created" : "replaced", item: stored)
        return (StoreResult(item: stored, created: previous == nil), retired)
    }

    /// Deletes `key`; nil if there was no such item. `precondition` as for `ingest`.
    public func delete(_ key: ItemKey, precondition: (@Sendable (Validators?) -> Conditional.Outcome)? = nil) async throws -> StoredItem? {
        try await BlockingIO.run { [self] in
            do {
                let (removed, retired): (StoredItem?, String?) = try {
                    commitLock.lock()
                    defer { commitLock.unlock() }
                    guard let previous = try item(key) else { return (nil, nil) }
                    if let precondition, case .preconditionFailed(let why) = precondition(previous.validators) {
                        throw HTTPError(412, "PRECONDITION_FAILED", why)
                    }
                    let target = path(key)
                    let retired = retiredName()
                    if rename(target, retired) != 0 {
                        if errno == ENOENT { return (nil, nil) }
                        throw DiskError("rename", target)
                    }
                    let dir = eventDirectory(key.event)
                    try Disk.fsyncDirectory(dir)
                    try? Disk.fsyncDirectory(tmpDir)
                    if rmdir(dir) == 0 { try? Disk.fsyncDirectory(root) }
                    events.publish(type: "deleted", item: previous)
                    return (previous, retired)
                }()
                if let retired { unlink(retired) } // outside the commit lock
                return removed
            } catch let e as DiskError {
                throw e.httpError
            }
        }
    }

    // MARK: - The recorder's entry points

    /// Stores a finished file as the item (`event`, `start`), replacing any
    /// previous version, and announces it on `/sse`. The file is copied (the
    /// caller keeps it); it must be Ogg Opus.
    public func store(event: String, start: Date, contentsOf file: URL, contentType: String = StoredItem.oggContentType) async throws -> StoreResult {
        let key = try ItemKey(event: event, startMillis: Int64((start.timeIntervalSince1970 * 1000).rounded(.down)))
        let src = file.path
        let fd = Glibc.open(src, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw DiskError("open", src) }
        let source = OpenFile(descriptor: fd)
        let size = try Disk.status(fd: fd, path: src).st_size
        var offset: Int64 = 0
        return try await ingest(key, contentType: contentType, declaredLength: Int64(size)) {
            let at = offset
            let piece: [UInt8] = try await BlockingIO.run {
                withExtendedLifetime(source) {
                    var buf = [UInt8](repeating: 0, count: 1 << 20)
                    let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
                    if n <= 0 { return [] }
                    buf.removeSubrange(n...)
                    return buf
                }
            }
            if piece.isEmpty { return nil }
            offset += Int64(piece.count)
            return piece
        }
    }

    /// Stores the bytes of `chunks` as the item (`event`, `startMillis`);
    /// for producers that stream (nothing is held whole in memory).
    public func store<S: AsyncSequence>(event: String, startMillis: Int64, contentType: String = StoredItem.oggContentType,
                                        chunks: S) async throws -> StoreResult where S.Element == [UInt8] {
        let key = try ItemKey(event: event, startMillis: startMillis)
        var it = chunks.makeAsyncIterator()
        return try await ingest(key, contentType: contentType) { try await it.next() }
    }

    // MARK: - Rules

    /// `audio/ogg`, optionally with parameters (`audio/ogg; codecs=opus`).
    static func checkContentType(_ value: String?) throws(HTTPError) {
        guard let value, !value.isEmpty else {
            throw HTTPError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type is required and must be audio/ogg")
        }
        let media = value.split(separator: ";", maxSplits: 1)[0].trimmingOWS().lowercased()
        guard media == "audio/ogg" else {
            throw HTTPError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be audio/ogg (Ogg Opus), not '\(value)'")
        }
    }

    static func notOggOpus(_ why: OggOpusFailure) -> HTTPError {
        HTTPError(415, "NOT_OGG_OPUS", "the body is not an Ogg Opus stream: \(why.description)")
    }
}

/// A temporary upload file: closed and removed unless it was committed.
final class TempFile: @unchecked Sendable {
    let fd: Int32
    let path: String
    private var open = true

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// After a successful rename: only the descriptor is closed.
    func closeKeepingFile() {
        if open { close(fd); open = false }
    }

    /// On any failure: close and unlink (on an I/O thread).
    func discard() async {
        guard open else { return }
        open = false
        let fd = self.fd, path = self.path
        _ = try? await BlockingIO.run { close(fd); unlink(path) }
    }
}

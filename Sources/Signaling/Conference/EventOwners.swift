import Foundation
import HTTP
import JSON

/// Which organization each records-store event belongs to, kept across
/// restarts.
///
/// An event belongs to the organization that first used it: a recording of
/// the conference that maps to it (`NameUUID.recordsEvent`), or the first
/// SERVICE write into a store. A live conference also owns its event without
/// an entry here; only events with stored data are written down, so the file
/// grows with the data kept, not with every conference ever created. Events
/// with items in a store but no entry (written before this file existed)
/// belong to the organization "none" (nil).
///
/// The file is append-only JSON lines (`{"event":…,"org":…}`), written under
/// a lock; a torn last line is ignored on load.
public final class EventOwners: @unchecked Sendable {
    /// The owner of an event, if anyone uses it.
    public enum Owner: Equatable, Sendable {
        case unclaimed
        case organization(String?)
    }

    private let lock = NSLock()
    private var owners: [String: String?] = [:]
    private let path: String?
    private var storeHasItems: (@Sendable (String) -> Bool)?

    /// `path` nil keeps the table in memory only (tests).
    public init(path: String?) throws {
        self.path = path
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let o = try? JSON.parse(Array(line)), let e = o["event"]?.stringValue else { continue }
            owners[e] = o["org"]?.stringValue
        }
    }

    /// Lets the table see events that hold store items but have no entry.
    public func attachStores(_ hasItems: @escaping @Sendable (String) -> Bool) {
        lock.lock(); storeHasItems = hasItems; lock.unlock()
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return owners.count }

    /// Who owns `event` (lower-case UUID) according to this table and the stores.
    public func owner(of event: String) -> Owner {
        lock.lock()
        let entry = owners[event]
        let probe = storeHasItems
        lock.unlock()
        if let entry { return .organization(entry) }
        if let probe, probe(event) { return .organization(nil) }
        return .unclaimed
    }

    /// Makes `organization` the owner of `event` unless someone owns it;
    /// returns the owner afterwards.
    @discardableResult
    public func claim(_ event: String, organization: String?) -> Owner {
        if case .organization(let o) = owner(of: event) { return .organization(o) }
        lock.lock(); defer { lock.unlock() }
        if let entry = owners[event] { return .organization(entry) }
        owners[event] = organization
        if let path {
            var o: [String: JSON] = ["event": .string(event)]
            o["org"] = organization.map { .string($0) } ?? .null
            let line = JSON.object(o).serialized() + "\n"
            if let h = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) ? FileHandle(forWritingAtPath: path) : nil) {
                h.seekToEndOfFile()
                h.write(Data(line.utf8))
                h.synchronizeFile()
                h.closeFile()
            } else {
                Log.error("cannot append to \(path): the owner of event \(event) is kept in memory only")
            }
        }
        return .organization(organization)
    }
}

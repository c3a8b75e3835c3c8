import Glibc
import JSON

/// What the store knows about one complete item: its key, size, validators
/// and times. Built from one `stat` of the file, so every field describes
/// the same version.
public struct StoredItem: Sendable, Equatable {
    public let key: ItemKey
    public let size: Int64
    /// Always `audio/ogg`: the only type the stores accept.
    public let contentType: String
    /// Strong validator derived from the file's inode, size and
    /// modification time: a new upload is a new file, so a new tag.
    public let etag: EntityTag
    /// When the item was first stored (kept across replacements).
    public let createdMillis: Int64
    /// When the current version was written.
    public let modifiedMillis: Int64

    public static let oggContentType = "audio/ogg"

    init(key: ItemKey, status st: stat, createdMillis: Int64?) {
        self.key = key
        self.size = Int64(st.st_size)
        self.contentType = StoredItem.oggContentType
        let mtimeNanos = UInt64(bitPattern: Int64(st.st_mtim.tv_sec)) &* 1_000_000_000 &+ UInt64(st.st_mtim.tv_nsec)
        self.etag = EntityTag(opaque: String(UInt64(st.st_ino), radix: 16) + "-" + String(UInt64(st.st_size), radix: 16) + "-" + String(mtimeNanos, radix: 16))
        self.modifiedMillis = st.modifiedMillis
        self.createdMillis = createdMillis ?? st.modifiedMillis
    }

    public var validators: Validators { Validators(etag: etag, lastModified: modifiedMillis >= 0 ? modifiedMillis / 1000 : (modifiedMillis - 999) / 1000) }

    /// The listing entry (see the OpenAPI schema `Item`).
    public func json(kind: StoreKind) -> JSON {
        .object([
            "event": .string(key.event),
            "start": .string(key.start),
            "size": .int(size),
            "contentType": .string(contentType),
            "etag": .string(etag.description),
            "created": .string(StartTime.formatWithMillis(createdMillis)),
            "modified": .string(StartTime.formatWithMillis(modifiedMillis)),
            "url": .string(kind.prefix + "/" + key.path),
        ])
    }
}

/// The outcome of storing an item.
public struct StoreResult: Sendable, Equatable {
    public let item: StoredItem
    /// True when the key was new (201), false when an item was replaced (204).
    public let created: Bool
}

/// The two stores share one implementation; this says which one a
/// `RecordStore` is: its URL prefix (and singular alias), its directory under
/// the data directory and its default port.
public enum StoreKind: String, Sendable, CaseIterable {
    /// Recordings of live calls (`/records`, port 10700).
    case records
    /// Audio uploaded ahead of an event (`/prerecordings`, port 10600).
    case prerecordings

    /// The canonical path prefix, e.g. `/records`.
    public var prefix: String { "/" + rawValue }

    /// The singular alias the usage documents also use, e.g. `/record`.
    public var alias: String { "/" + String(rawValue.dropLast()) }

    /// The directory under the data directory holding this store.
    public var directoryName: String { rawValue }

    public var defaultPort: Int {
        switch self {
        case .records: return 10700
        case .prerecordings: return 10600
        }
    }

    /// "records store" / "prerecordings store", for logs and titles.
    public var title: String { "\(rawValue) store" }

    /// The kind named `s` (`records`, `prerecordings`, or the singular forms).
    public init?(name s: String) {
        switch s.lowercased() {
        case "records", "record": self = .records
        case "prerecordings", "prerecording": self = .prerecordings
        default: return nil
        }
    }
}

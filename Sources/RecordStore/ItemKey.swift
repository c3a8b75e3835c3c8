import HTTP

/// Why a path segment or query value was refused; becomes a 400 naming it.
public struct KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `INVALID_EVENT`, `INVALID_START`, `INVALID_FROM`, ...
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
    public var httpError: HTTPError { HTTPError(400, code, message) }
}

/// The identity of one stored item: an event (a lower-case UUID) and the
/// item's start instant in Unix milliseconds. Both come from untrusted path
/// segments, so they are parsed strictly and only their canonical spellings
/// ever reach the file system: no request can name a path outside the store.
public struct ItemKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Lower-case `8-4-4-4-12` hex UUID.
    public let event: String
    /// Unix milliseconds (UTC).
    public let startMillis: Int64

    /// Validates both parts (400-style `KeyError` on bad input).
    public init(event: String, start: String) throws(KeyError) {
        self.event = try EventID.parse(event)
        self.startMillis = try StartTime.parse(start, field: "start")
    }

    public init(event: String, startMillis: Int64) throws(KeyError) {
        self.event = try EventID.parse(event)
        guard StartTime.range.contains(startMillis) else {
            throw KeyError("INVALID_START", "start must lie between years 0001 and 9999")
        }
        self.startMillis = startMillis
    }

    /// The canonical start, e.g. `2024-01-01T00:00:00Z` or `2024-01-01T00:00:00.250Z`.
    public var start: String { StartTime.format(startMillis) }

    /// The item's file name inside its event directory.
    public var fileName: String { start + ".ogg" }

    /// The item's path below the store prefix: `event/start`.
    public var path: String { event + "/" + start }

    public var description: String { path }

    public static func < (a: ItemKey, b: ItemKey) -> Bool {
        (a.event, a.startMillis) < (b.event, b.startMillis)
    }
}

/// Event identifiers: RFC 9562 UUIDs in the `8-4-4-4-12` hex form, any case
/// on input, lower case afterwards.
public enum EventID {
    public static func parse(_ s: String) throws(KeyError) -> String {
        let b = Array(s.utf8)
        guard b.count == 36 else {
            throw KeyError("INVALID_EVENT", "event must be a UUID like 0f339cb0-7ab4-43fe-852d-75708232f76c (36 characters), got \(b.count) characters")
        }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else {
                    throw KeyError("INVALID_EVENT", "event must be a UUID: '-' expected at position \(i + 1)")
                }
                out.append(c)
                continue
            }
            switch c {
            case 48...57, 97...102: out.append(c)
            case 65...70: out.append(c | 0x20)
            default:
                throw KeyError("INVALID_EVENT", "event must be a UUID: hexadecimal digit expected at position \(i + 1)")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

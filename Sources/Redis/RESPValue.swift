/// One value of the Redis serialization protocol (RESP2 and RESP3), as a
/// reply from the server or a value to serialize. Bulk payloads stay bytes:
/// Redis strings are binary-safe, and decoding them is the caller's choice.
public enum RESPValue: Sendable, Equatable {
    /// `+OK` — a short status line (no CR or LF inside).
    case simpleString(String)
    /// `-ERR message` (RESP2 and 3) or `!len` blob error (RESP3).
    case error(String)
    /// `:42` — a signed 64-bit integer.
    case integer(Int64)
    /// `$len` — binary-safe bytes.
    case bulkString([UInt8])
    /// `*n` — an array.
    case array([RESPValue])
    /// `$-1`, `*-1` (RESP2) and `_` (RESP3): no value.
    case null
    /// `,3.14`, `,inf`, `,-inf`, `,nan` (RESP3).
    case double(Double)
    /// `#t` / `#f` (RESP3).
    case boolean(Bool)
    /// `(123…` — an integer of any size, kept as its decimal text (RESP3).
    case bigNumber(String)
    /// `=len` with a 3-byte format such as `txt` (RESP3).
    case verbatim(format: String, text: [UInt8])
    /// `%n` — key/value pairs in wire order (RESP3).
    case map([RESPPair])
    /// `~n` (RESP3).
    case set([RESPValue])
    /// `>n` — an out-of-band message, never the reply to a command (RESP3).
    case push([RESPValue])

    public static func == (a: RESPValue, b: RESPValue) -> Bool {
        switch (a, b) {
        case let (.simpleString(x), .simpleString(y)): return x == y
        case let (.error(x), .error(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.bulkString(x), .bulkString(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case (.null, .null): return true
        // NaN equals NaN here: equality means "the same wire value".
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.bigNumber(x), .bigNumber(y)): return x == y
        case let (.verbatim(f1, t1), .verbatim(f2, t2)): return f1 == f2 && t1 == t2
        case let (.map(x), .map(y)): return x == y
        case let (.set(x), .set(y)): return x == y
        case let (.push(x), .push(y)): return x == y
        default: return false
        }
    }
}

/// One entry of a RESP3 map.
public struct RESPPair: Sendable, Equatable {
    public var key: RESPValue
    public var value: RESPValue
    public init(_ key: RESPValue, _ value: RESPValue) { self.key = key; self.value = value }
}

extension RESPValue {
    /// The text of a bulk, simple or verbatim string (UTF-8, lossy), else nil.
    public var string: String? {
        switch self {
        case .bulkString(let b): return String(decoding: b, as: UTF8.self)
        case .simpleString(let s): return s
        case .verbatim(_, let t): return String(decoding: t, as: UTF8.self)
        default: return nil
        }
    }

    /// An integer reply, or a string reply holding a decimal integer.
    public var int: Int64? {
        switch self {
        case .integer(let n): return n
        case .bulkString, .simpleString: return string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The elements of an array, set or push (nil for anything else).
    public var elements: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .push(let a): return a
        default: return nil
        }
    }

    /// A hash as field → value text, from a RESP3 map or a RESP2 flat array.
    public var stringMap: [String: String]? {
        var out: [String: String] = [:]
        switch self {
        case .map(let pairs):
            for p in pairs { guard let k = p.key.string, let v = p.value.string else { return nil }; out[k] = v }
        case .array(let a):
            guard a.count % 2 == 0 else { return nil }
            var i = 0
            while i < a.count {
                guard let k = a[i].string, let v = a[i + 1].string else { return nil }
                out[k] = v
                i += 2
            }
        default: return nil
        }
        return out
    }
}

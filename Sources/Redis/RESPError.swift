/// Why bytes from a Redis server are not valid RESP. Each malformed input has
/// its own case, so tests and logs can tell them apart; after any of them the
/// stream is out of step and the connection must be closed.
public enum RESPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first byte of a value is none of `+ - : $ * _ , # ( ! = % ~ > |`.
    case unknownType(UInt8)
    /// A CR not followed by LF, or a LF without CR, in a header line.
    case badLineEnding
    /// A header or simple line longer than `Limits.maxLineBytes`.
    case lineTooLong(limit: Int)
    /// `:` line that is not a signed decimal fitting 64 bits.
    case badInteger
    /// A length or count that is not a decimal, or negative other than -1 where allowed.
    case badLength
    /// A bulk/blob/verbatim length above `Limits.maxBulkBytes`.
    case bulkTooLong(length: Int64, limit: Int)
    /// An aggregate count above `Limits.maxAggregateCount`.
    case aggregateTooLarge(count: Int64, limit: Int)
    /// Aggregates nested deeper than `Limits.maxDepth`.
    case tooDeep(limit: Int)
    /// One top-level value needs more than `Limits.maxValueBytes` on the wire.
    case valueTooLarge(limit: Int)
    /// Bulk payload not followed by CRLF.
    case missingBulkTerminator
    /// `_` with anything on its line.
    case badNull
    /// `#` with anything but `t` or `f`.
    case badBoolean
    /// `,` that is not a decimal, `inf`, `-inf` or `nan`.
    case badDouble
    /// `(` that is not a signed decimal.
    case badBigNumber
    /// `=` payload shorter than 4 bytes or without `:` after the 3-byte format.
    case badVerbatim

    public var description: String {
        switch self {
        case .unknownType(let b): return "unknown RESP type byte 0x\(String(b, radix: 16))"
        case .badLineEnding: return "RESP line not terminated by CRLF"
        case .lineTooLong(let l): return "RESP line longer than \(l) bytes"
        case .badInteger: return "malformed RESP integer"
        case .badLength: return "malformed RESP length"
        case .bulkTooLong(let n, let l): return "RESP bulk of \(n) bytes exceeds \(l)"
        case .aggregateTooLarge(let n, let l): return "RESP aggregate of \(n) elements exceeds \(l)"
        case .tooDeep(let l): return "RESP nesting deeper than \(l)"
        case .valueTooLarge(let l): return "RESP value larger than \(l) bytes"
        case .missingBulkTerminator: return "RESP bulk payload not followed by CRLF"
        case .badNull: return "malformed RESP3 null"
        case .badBoolean: return "malformed RESP3 boolean"
        case .badDouble: return "malformed RESP3 double"
        case .badBigNumber: return "malformed RESP3 big number"
        case .badVerbatim: return "malformed RESP3 verbatim string"
        }
    }
}

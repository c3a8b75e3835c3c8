import HTTP
import Identifier

/// A token lifetime as document 003 writes it: a positive number and a unit,
/// `30s`, `5m`, `1h`, `1d`. Anything else (no unit, zero, a sign, spaces,
/// fractions, more than `max`) is rejected with a 400 naming the parameter.
enum TTL {
    static let defaultSeconds: Int64 = 300
    static let maxSeconds: Int64 = 7 * 86_400

    static func parse(_ text: String?, parameter: String = "ttl") throws(HTTPError) -> Int64 {
        guard let text else { return defaultSeconds }
        let bytes = Array(text.utf8)
        let bad = HTTPError(400, "INVALID_FIELD", "query parameter '\(parameter)' must be a number and a unit s, m, h or d (e.g. 30s, 5m, 1h, 1d), at most 7d; got '\(text.prefix(40))'")
        guard bytes.count >= 2, bytes.count <= 8 else { throw bad }
        let unit: Int64
        switch bytes.last! {
        case UInt8(ascii: "s"): unit = 1
        case UInt8(ascii: "m"): unit = 60
        case UInt8(ascii: "h"): unit = 3600
        case UInt8(ascii: "d"): unit = 86_400
        default: throw bad
        }
        var n: Int64 = 0
        for b in bytes.dropLast() {
            guard b >= 48 && b <= 57 else { throw bad }
            n = n * 10 + Int64(b - 48)
        }
        guard n > 0 else { throw bad }
        let seconds = n * unit
        guard seconds <= maxSeconds else {
            throw HTTPError(400, "INVALID_FIELD", "query parameter '\(parameter)' is \(seconds) s; the longest allowed is 7d")
        }
        return seconds
    }
}

/// `GET /channels/{id}/recordings` parameters: session filter, page and order.
struct RecordingListQuery: Equatable {
    enum Sort: String { case started, ended }
    enum Order: String { case asc, desc }

    var session: String?
    var limit = 100
    var offset = 0
    var sort = Sort.started
    var order = Order.desc

    static let maxLimit = 1000
    static let maxOffset = 1_000_000_000

    init() {}

    /// Validates every parameter; unknown ones are rejected too.
    init(_ query: [String: String]) throws(HTTPError) {
        for key in query.keys where !["session", "limit", "offset", "sort", "order"].contains(key) {
            throw HTTPError(400, "INVALID_FIELD", "unknown query parameter '\(key.prefix(40))' (session, limit, offset, sort, order)")
        }
        if let s = query["session"] {
            guard Identifier.isValid(s) else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'session' must be \(Identifier.rule)") }
            session = s
        }
        if let l = query["limit"] {
            guard let n = Int(l), n >= 1, n <= Self.maxLimit, l.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw HTTPError(400, "INVALID_FIELD", "query parameter 'limit' must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = n
        }
        if let o = query["offset"] {
            guard let n = Int(o), n >= 0, n <= Self.maxOffset, o.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw HTTPError(400, "INVALID_FIELD", "query parameter 'offset' must be an integer from 0 to \(Self.maxOffset)")
            }
            offset = n
        }
        if let s = query["sort"] {
            guard let v = Sort(rawValue: s) else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'sort' must be 'started' or 'ended'") }
            sort = v
        }
        if let o = query["order"] {
            guard let v = Order(rawValue: o) else { throw HTTPError(400, "INVALID_FIELD", "query parameter 'order' must be 'asc' or 'desc'") }
            order = v
        }
    }

    /// Filters, sorts and pages. A recording still in progress sorts as
    /// ending after every ended one; ties fall back to start time, then id,
    /// so pages never overlap or skip.
    func apply(_ all: [Recording]) -> (total: Int, page: [Recording]) {
        let matching = all.filter { session == nil || $0.session == session }
        func key(_ r: Recording) -> (Int64, Int64, String) {
            switch sort {
            case .started: return (r.startTime, r.startTime, r.id)
            case .ended: return (r.endTime ?? Int64.max, r.startTime, r.id)
            }
        }
        let sorted = matching.sorted { a, b in
            let ka = key(a), kb = key(b)
            return order == .asc ? ka < kb : ka > kb
        }
        return (matching.count, Array(sorted.dropFirst(offset).prefix(limit)))
    }
}

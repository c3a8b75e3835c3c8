import HTTP

/// An entity tag (RFC 9110 §8.8.3): `"opaque"` or `W/"opaque"`.
public struct EntityTag: Equatable, Sendable, CustomStringConvertible {
    public let opaque: String
    public let weak: Bool

    public init(opaque: String, weak: Bool = false) {
        self.opaque = opaque
        self.weak = weak
    }

    public var description: String { (weak ? "W/" : "") + "\"" + opaque + "\"" }

    /// Strong comparison: both strong and identical.
    public func strongMatch(_ o: EntityTag) -> Bool { !weak && !o.weak && opaque == o.opaque }
    /// Weak comparison: identical opaque tags.
    public func weakMatch(_ o: EntityTag) -> Bool { opaque == o.opaque }

    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case missingQuote(String)
        case badCharacter(String)
        case missingComma(String)
    }

    /// The members of an `If-Match`/`If-None-Match` value; nil means `*`.
    public static func parseList(_ value: String) throws(ParseError) -> [EntityTag]? {
        let v = Array(value.utf8)
        var i = 0
        func skipOWS() { while i < v.count && (v[i] == 32 || v[i] == 9) { i += 1 } }
        skipOWS()
        if i < v.count && v[i] == UInt8(ascii: "*") {
            i += 1
            skipOWS()
            if i == v.count { return nil }
            throw .badCharacter(value)
        }
        var tags: [EntityTag] = []
        while true {
            skipOWS()
            while i < v.count && v[i] == UInt8(ascii: ",") { i += 1; skipOWS() }
            if i == v.count { break }
            var weak = false
            if i + 1 < v.count && v[i] == UInt8(ascii: "W") && v[i + 1] == UInt8(ascii: "/") { weak = true; i += 2 }
            guard i < v.count, v[i] == 34 else { throw .missingQuote(value) }
            i += 1
            let start = i
            while i < v.count && v[i] != 34 {
                let c = v[i]
                guard c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80 else { throw .badCharacter(value) }
                i += 1
            }
            guard i < v.count else { throw .missingQuote(value) }
            tags.append(EntityTag(opaque: String(decoding: v[start..<i], as: UTF8.self), weak: weak))
            i += 1
            skipOWS()
            if i < v.count && v[i] != UInt8(ascii: ",") { throw .missingComma(value) }
        }
        if tags.isEmpty { throw .empty }
        return tags
    }
}

/// An `If-Match`/`If-None-Match` value: `*`, a list of tags, or unparseable
/// (which matches nothing).
enum TagCondition {
    case any
    case list([EntityTag])
    case invalid

    init(_ value: String) {
        do {
            if let list = try EntityTag.parseList(value) { self = .list(list) } else { self = .any }
        } catch {
            self = .invalid
        }
    }
}

/// The validators of the current version of an item.
public struct Validators: Equatable, Sendable {
    public let etag: EntityTag
    /// Last modification, whole Unix seconds (HTTP dates have no fraction).
    public let lastModified: Int64

    public init(etag: EntityTag, lastModified: Int64) {
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Evaluation of conditional request headers (RFC 9110 §13.2.2), in the
/// order the RFC prescribes: If-Match, If-Unmodified-Since, If-None-Match,
/// If-Modified-Since; and If-Range for range requests.
public enum Conditional {
    public enum Outcome: Equatable, Sendable {
        case proceed
        /// 304 (GET/HEAD only).
        case notModified
        /// 412.
        case preconditionFailed(String)
    }

    /// `current` is nil when the item does not exist.
    public static func evaluate(method: String, headers: HTTPHeaders, current: Validators?) -> Outcome {
        let safe = method == "GET" || method == "HEAD"
        if let im = headers["If-Match"] {
            let matched: Bool
            switch (TagCondition(im), current) {
            case (_, nil): matched = false
            case (.any, _): matched = true
            case (.list(let list), let current?): matched = list.contains { $0.strongMatch(current.etag) }
            case (.invalid, _): matched = false
            }
            if !matched { return .preconditionFailed("If-Match: the current version does not match") }
        } else if let ius = headers["If-Unmodified-Since"], let current, let date = HTTPDates.parse(ius) {
            if current.lastModified > Int64(date) {
                return .preconditionFailed("If-Unmodified-Since: the item was modified after that date")
            }
        }
        if let inm = headers["If-None-Match"] {
            let matched: Bool
            switch (TagCondition(inm), current) {
            case (_, nil): matched = false
            case (.any, _): matched = true
            case (.list(let list), let current?): matched = list.contains { $0.weakMatch(current.etag) }
            case (.invalid, _): matched = false
            }
            if matched {
                return safe ? .notModified : .preconditionFailed("If-None-Match: the item exists in a matching version")
            }
        } else if safe, let ims = headers["If-Modified-Since"], let current, let date = HTTPDates.parse(ims) {
            if current.lastModified <= Int64(date) { return .notModified }
        }
        return .proceed
    }

    /// Whether a `Range` may be honoured given `If-Range` (RFC 9110 §13.1.5):
    /// the entity tag must strongly match, or the date must equal Last-Modified.
    public static func rangeAllowed(ifRange: String?, current: Validators) -> Bool {
        guard let raw = ifRange else { return true }
        let v = raw.trimmingOWS()
        if v.hasPrefix("\"") || v.hasPrefix("W/") {
            guard case .list(let list) = TagCondition(String(v)), list.count == 1 else { return false }
            return list[0].strongMatch(current.etag)
        }
        guard let date = HTTPDates.parse(String(v)) else { return false }
        return Int64(date) == current.lastModified
    }
}

/// A JSONPath subset (RFC 9535 shapes) for masking fields of events before
/// they are stored or logged: `$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`,
/// and descendant `..name` / `..*`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Segment: Sendable, Equatable {
        case key(String)
        case index(Int)
        case wildcard
        case descendantKey(String)
        case descendantWildcard
    }

    public let segments: [Segment]
    public let description: String

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "invalid JSON path '\(path)': \(reason)" }
    }

    public init(_ text: String) throws(ParseError) {
        description = text
        var s = Substring(text)
        guard s.first == "$" else { throw ParseError(path: text, reason: "must start with $") }
        s = s.dropFirst()
        var segs: [Segment] = []
        func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }
        while let c = s.first {
            if s.hasPrefix("..") {
                s = s.dropFirst(2)
                if s.first == "*" { s = s.dropFirst(); segs.append(.descendantWildcard); continue }
                let name = s.prefix(while: isNameChar)
                guard !name.isEmpty else { throw ParseError(path: text, reason: "expected a name after ..") }
                s = s.dropFirst(name.count)
                segs.append(.descendantKey(String(name)))
            } else if c == "." {
                s = s.dropFirst()
                if s.first == "*" { s = s.dropFirst(); segs.append(.wildcard); continue }
                let name = s.prefix(while: isNameChar)
                guard !name.isEmpty else { throw ParseError(path: text, reason: "expected a name after .") }
                s = s.dropFirst(name.count)
                segs.append(.key(String(name)))
            } else if c == "[" {
                s = s.dropFirst()
                if s.hasPrefix("*]") {
                    s = s.dropFirst(2); segs.append(.wildcard)
                } else if let q = s.first, q == "'" || q == "\"" {
                    s = s.dropFirst()
                    guard let end = s.firstIndex(of: q) else { throw ParseError(path: text, reason: "unterminated quoted name") }
                    let name = String(s[..<end])
                    s = s[s.index(after: end)...]
                    guard s.first == "]" else { throw ParseError(path: text, reason: "expected ]") }
                    s = s.dropFirst()
                    segs.append(.key(name))
                } else {
                    let digits = s.prefix(while: { $0.isNumber || $0 == "-" })
                    guard let n = Int(digits), s.dropFirst(digits.count).first == "]" else {
                        throw ParseError(path: text, reason: "expected an index, a quoted name or *")
                    }
                    s = s.dropFirst(digits.count + 1)
                    segs.append(.index(n))
                }
            } else {
                throw ParseError(path: text, reason: "unexpected '\(c)'")
            }
        }
        segments = segs
    }
}

extension JSON {
    /// A copy in which every string selected by one of `paths` is replaced
    /// by `*` repeated to the same length (in characters).
    public func masking(_ paths: [JSONPath]) -> JSON {
        var v = self
        for p in paths { v = v.mask(p.segments[...]) }
        return v
    }

    private func mask(_ segs: ArraySlice<JSONPath.Segment>) -> JSON {
        guard let seg = segs.first else {
            if case .string(let s) = self { return .string(String(repeating: "*", count: s.count)) }
            return self
        }
        let rest = segs.dropFirst()
        switch (seg, self) {
        case (.key(let k), .object(var o)):
            if let child = o[k] { o[k] = child.mask(rest) }
            return .object(o)
        case (.index(let i), .array(var a)):
            let idx = i < 0 ? a.count + i : i
            if idx >= 0 && idx < a.count { a[idx] = a[idx].mask(rest) }
            return .array(a)
        case (.wildcard, .object(var o)):
            for k in o.keys { o[k] = o[k]!.mask(rest) }
            return .object(o)
        case (.wildcard, .array(let a)):
            return .array(a.map { $0.mask(rest) })
        case (.descendantKey(let k), _):
            // Apply `.k rest` here, then descend into every child.
            var v = self
            if case .object(var o) = v, let child = o[k] {
                o[k] = child.mask(rest)
                v = .object(o)
            }
            return v.descend { $0.mask(segs) }
        case (.descendantWildcard, _):
            var v = self
            switch v {
            case .object(var o):
                for key in o.keys { o[key] = o[key]!.mask(rest) }
                v = .object(o)
            case .array(let a):
                v = .array(a.map { $0.mask(rest) })
            default: break
            }
            return v.descend { $0.mask(segs) }
        default:
            return self
        }
    }

    private func descend(_ f: (JSON) -> JSON) -> JSON {
        switch self {
        case .object(var o):
            for k in o.keys { o[k] = f(o[k]!) }
            return .object(o)
        case .array(let a):
            return .array(a.map(f))
        default:
            return self
        }
    }
}

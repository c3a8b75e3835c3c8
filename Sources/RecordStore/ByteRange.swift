/// One `Range: bytes=...` request parsed (RFC 9110 §14.1.2) and resolved
/// against a representation's size, so players can seek.
public enum ByteRange {
    /// One range-spec as written.
    public enum Spec: Equatable, Sendable {
        /// `first-` or `first-last` (inclusive).
        case fromTo(first: Int64, last: Int64?)
        /// `-length`: the last `length` bytes.
        case suffix(length: Int64)
    }

    /// What a syntactically bad header breaks. Such a header is ignored
    /// (the full representation is sent), as RFC 9110 §14.2 allows.
    public enum ParseError: Error, Equatable, Sendable {
        case unsupportedUnit(String)
        case empty
        case malformed(String)
        case lastBeforeFirst(String)
    }

    /// What to answer.
    public enum Resolution: Equatable, Sendable {
        /// 206 with this inclusive byte span.
        case partial(first: Int64, last: Int64)
        /// 200 with the whole representation (several ranges; we do not send multipart).
        case whole
        /// 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    /// Parses a `Range` field value.
    public static func parse(_ value: String) throws(ParseError) -> [Spec] {
        let v = value.trimmingOWS()
        guard let eq = v.firstIndex(of: "=") else { throw .malformed("no '=' after the range unit") }
        let unit = v[..<eq].trimmingOWS()
        guard unit.lowercased() == "bytes" else { throw .unsupportedUnit(String(unit)) }
        var specs: [Spec] = []
        for part in v[v.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingOWS()
            if p.isEmpty { continue } // RFC 9110 list rule: empty elements are allowed
            guard let dash = p.firstIndex(of: "-") else { throw .malformed("range '\(p)' has no '-'") }
            let a = p[..<dash]
            let b = p[p.index(after: dash)...]
            if a.isEmpty {
                guard let n = number(b) else { throw .malformed("suffix length in '\(p)' is not a number") }
                specs.append(.suffix(length: n))
            } else {
                guard let first = number(a) else { throw .malformed("first position in '\(p)' is not a number") }
                if b.isEmpty {
                    specs.append(.fromTo(first: first, last: nil))
                } else {
                    guard let last = number(b) else { throw .malformed("last position in '\(p)' is not a number") }
                    if last < first { throw .lastBeforeFirst(String(p)) }
                    specs.append(.fromTo(first: first, last: last))
                }
            }
        }
        if specs.isEmpty { throw .empty }
        return specs
    }

    /// Resolves parsed specs against a representation of `size` bytes.
    public static func resolve(_ specs: [Spec], size: Int64) -> Resolution {
        var satisfiable: [(Int64, Int64)] = []
        for s in specs {
            switch s {
            case .fromTo(let first, let last):
                if first < size { satisfiable.append((first, min(last ?? (size - 1), size - 1))) }
            case .suffix(let length):
                if length > 0 && size > 0 { satisfiable.append((max(0, size - length), size - 1)) }
            }
        }
        if satisfiable.isEmpty { return .unsatisfiable }
        if specs.count > 1 { return .whole }
        return .partial(first: satisfiable[0].0, last: satisfiable[0].1)
    }

    /// Decimal digits only; values beyond Int64 saturate (a huge first
    /// position is then simply unsatisfiable, a huge last one means "to the end").
    static func number(_ s: Substring) -> Int64? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var v: Int64 = 0
        for c in s.utf8 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (r, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return Int64.max }
            v = r
        }
        return v
    }
}

extension StringProtocol {
    /// Drops leading and trailing spaces and tabs (HTTP optional whitespace).
    func trimmingOWS() -> Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

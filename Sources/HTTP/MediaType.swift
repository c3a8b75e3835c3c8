/// Media types of request bodies (RFC 9110 §8.3.1): `type/subtype` followed
/// by optional `; name=value` parameters, compared case-insensitively.
public enum MediaType {
    /// The `type/subtype` of a `Content-Type` value, lowercased, or nil if it has none.
    public static func essence(_ value: String) -> String? {
        let bare = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: [" ", "\t"]).lowercased()
        let parts = bare.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              bare.utf8.allSatisfy({ isTokenByte($0) || $0 == UInt8(ascii: "/") }) else { return nil }
        return bare
    }

    /// Exactly `application/json` or an `application/…+json` structured
    /// syntax type (RFC 6839), with any parameters; not `application/jsonx`.
    public static func isJSON(_ value: String?) -> Bool {
        guard let value, let e = essence(value) else { return false }
        if e == "application/json" { return true }
        return e.hasPrefix("application/") && e.hasSuffix("+json") && e.count > "application/+json".count
    }

    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

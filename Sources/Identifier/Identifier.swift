import HTTP

/// The rules for the API's identifiers (conference, endpoint, stream, viewer
/// and user ids) and their one safe spelling on the file system.
///
/// Documents 003/004 type identifiers as plain strings, so any printable text
/// is accepted (e-mail addresses, `user:42`, `a|b`, `#room`, spaces, non-ASCII)
/// up to `maxBytes` of UTF-8. Refused: the empty string, control and format
/// characters (C0, DEL, C1, bidi overrides, zero-width, line/paragraph
/// separators, unassigned and private-use code points) and the path names
/// `.` and `..`. A `/` is allowed: in URLs it is sent as `%2F` (the servers
/// split a path before decoding it), and on disk ids are never used raw but
/// through `fileName`.
public enum Identifier {
    /// Longest identifier, in UTF-8 bytes (128 ASCII characters).
    public static let maxBytes = 128

    /// The rule in words, for error messages and documents.
    public static let rule = "1-128 bytes of printable UTF-8 (no control or format characters; not '.' or '..')"

    /// Whether `s` is an acceptable identifier.
    public static func isValid(_ s: String) -> Bool {
        let count = s.utf8.count
        guard count > 0, count <= maxBytes, s != ".", s != ".." else { return false }
        return s.unicodeScalars.allSatisfy(isPrintable)
    }

    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x20 || c.value == 0x7F { return false }
        if c.value < 0x7F { return true }
        switch c.properties.generalCategory {
        case .control, .format, .privateUse, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }

    /// A file name that stands for the identifier `id` and for no other:
    /// - an id of only `A-Z a-z 0-9 - _ ~ .` not starting with `.` is its own name;
    /// - such an id starting with `.` is `%2E` and the rest (so no name is hidden or `..`);
    /// - any other id is `%=` and the base64url of its UTF-8 bytes (at most 173
    ///   characters for 128 bytes, below every file system's 255).
    /// The three forms cannot collide (`%` is in neither plain form's alphabet,
    /// `=` is not in base64url's), and no name contains `/` or NUL or is `.`/`..`.
    public static func fileName(_ id: String) -> String {
        let bytes = Array(id.utf8)
        if !bytes.isEmpty && bytes.allSatisfy(isPlain) {
            return bytes[0] == UInt8(ascii: ".") ? "%2E" + String(decoding: bytes.dropFirst(), as: UTF8.self) : id
        }
        return "%=" + base64url(bytes)
    }

    /// The identifier a `fileName` stands for (nil: not a name `fileName` makes).
    public static func fromFileName(_ name: String) -> String? {
        if name.hasPrefix("%=") {
            guard let bytes = unbase64url(Array(name.utf8.dropFirst(2))), let s = String(validating: bytes, as: UTF8.self) else { return nil }
            return fileName(s) == name ? s : nil
        }
        let id = name.hasPrefix("%2E") ? "." + name.dropFirst(3) : name
        return fileName(id) == name ? id : nil
    }

    static func isPlain(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~") || b == UInt8(ascii: ".")
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func base64url(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let b0 = UInt32(bytes[i])
            let b1 = n > 1 ? UInt32(bytes[i + 1]) : 0
            let b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            if n > 1 { out.append(alphabet[Int(v >> 6 & 63)]) }
            if n > 2 { out.append(alphabet[Int(v & 63)]) }
            i += n
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unbase64url(_ chars: [UInt8]) -> [UInt8]? {
        if chars.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }

    /// The segments of a request target's path (before `?`), each
    /// percent-decoded on its own, so an encoded `/` stays inside its segment.
    /// Nil when an escape is malformed or a segment is not UTF-8.
    public static func pathSegments(_ target: String) -> [String]? {
        var path = Substring(target)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        var out: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let s = percentDecode(String(raw)) else { return nil }
            out.append(s)
        }
        return out
    }
}

// Small text helpers shared by the parser and the typed attributes.
//
// Everything here works on Unicode scalars, never on Characters: in Swift "\r\n" is a
// single Character and a combining mark after a space or colon would hide the separator,
// which would make parse → serialize → parse disagree with itself.

enum Text {
    /// Splits on runs of spaces (U+0020), dropping empty fields.
    static func fields(_ s: String) -> [String] {
        s.unicodeScalars.split(separator: " ").map { String(String.UnicodeScalarView($0)) }
    }

    /// Splits on every `separator`, keeping empty pieces.
    static func pieces(_ s: String, _ separator: Unicode.Scalar) -> [String] {
        s.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// Splits at the first `separator`: ("a", "b:c") for "a:b:c", ("a", nil) for "a".
    static func splitOnce(_ s: String, _ separator: Unicode.Scalar) -> (String, String?) {
        let scalars = s.unicodeScalars
        guard let i = scalars.firstIndex(of: separator) else { return (s, nil) }
        let head = String(String.UnicodeScalarView(scalars[..<i]))
        let tail = String(String.UnicodeScalarView(scalars[scalars.index(after: i)...]))
        return (head, tail)
    }

    /// The first space-separated field and everything after the following run of spaces
    /// (nil when nothing follows).
    static func firstField(_ s: String) -> (String, String?) {
        let scalars = s.unicodeScalars
        var start = scalars.startIndex
        while start < scalars.endIndex, scalars[start] == " " { start = scalars.index(after: start) }
        var end = start
        while end < scalars.endIndex, scalars[end] != " " { end = scalars.index(after: end) }
        let head = String(String.UnicodeScalarView(scalars[start..<end]))
        var rest = end
        while rest < scalars.endIndex, scalars[rest] == " " { rest = scalars.index(after: rest) }
        if rest == scalars.endIndex { return (head, nil) }
        return (head, String(String.UnicodeScalarView(scalars[rest...])))
    }

    /// A decimal number made of ASCII digits only (no sign, no spaces), nil on overflow.
    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ s: String, as: T.Type = T.self) -> T? {
        var value: T = 0
        var count = 0
        for scalar in s.unicodeScalars {
            guard scalar.value >= 48, scalar.value <= 57 else { return nil }
            count += 1
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(T(scalar.value - 48))
            if o1 || o2 { return nil }
            value = a
        }
        return count > 0 ? value : nil
    }

    /// An RTP payload type: a decimal number from 0 to 127.
    static func payloadType(_ s: String) -> UInt8? {
        guard let v = decimal(s, as: UInt8.self), v <= 127 else { return nil }
        return v
    }

    /// RFC 8866 `token`: visible ASCII except the separators SDP uses.
    static func isToken(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9": continue
            case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "{", "|", "}", "~": continue
            default: return false
            }
        }
        return true
    }

    /// Non-empty and free of spaces and control characters.
    static func isWord(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F }
    }

    /// ASCII lower-casing (SDP names are ASCII; avoids locale and Unicode surprises).
    static func lower(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            if scalar.value >= 65, scalar.value <= 90, let l = Unicode.Scalar(scalar.value + 32) {
                out.append(l)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool { lower(a) == lower(b) }

    static func hexByte(_ s: String) -> UInt8? {
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 2, let h = hexDigit(scalars[0]), let l = hexDigit(scalars[1]) else { return nil }
        return h << 4 | l
    }

    private static func hexDigit(_ c: Unicode.Scalar) -> UInt8? {
        switch c.value {
        case 48...57: return UInt8(c.value - 48)
        case 65...70: return UInt8(c.value - 55)
        case 97...102: return UInt8(c.value - 87)
        default: return nil
        }
    }

    static func hex(_ bytes: [UInt8], separator: String = ":") -> String {
        let digits = Array("0123456789ABCDEF")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xF)]]) }.joined(separator: separator)
    }
}

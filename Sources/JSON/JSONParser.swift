/// Why a JSON text was rejected, with the byte offset where it was noticed.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicode
        case controlCharacterInString
        case duplicateKey(String)
        case tooDeep(Int)
        case tooLarge(Int)
        case trailingData
    }
    public let kind: Kind
    public let offset: Int

    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedCharacter(let c):
            what = (c >= 32 && c < 127) ? "unexpected character '\(Character(UnicodeScalar(c)))'" : "unexpected byte 0x\(String(c, radix: 16))"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicode: what = "invalid UTF-8 or unicode escape"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .duplicateKey(let k): what = "duplicate key '\(k)'"
        case .tooDeep(let d): what = "nesting deeper than \(d)"
        case .tooLarge(let n): what = "document larger than \(n) bytes"
        case .trailingData: what = "data after the JSON value"
        }
        return "\(what) at offset \(offset)"
    }
}

extension JSON {
    /// Explicit parser limits.
    public struct Limits: Sendable {
        public var maxBytes = 1 << 20
        public var maxDepth = 64
        public init() {}
    }

    /// Parses a complete JSON text (strict RFC 8259: no comments, no
    /// trailing commas, no duplicate keys, UTF-8 only).
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(JSONError) -> JSON {
        if bytes.count > limits.maxBytes { throw JSONError(kind: .tooLarge(limits.maxBytes), offset: 0) }
        return try bytes.withUnsafeBufferPointer { buf throws(JSONError) -> JSON in
            var p = JSONParser(buf: buf, maxDepth: limits.maxDepth)
            p.skipWhitespace()
            let v = try p.parseValue(depth: 0)
            p.skipWhitespace()
            if p.pos != buf.count { throw JSONError(kind: .trailingData, offset: p.pos) }
            return v
        }
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(JSONError) -> JSON {
        try parse(Array(text.utf8), limits: limits)
    }
}

struct JSONParser {
    let buf: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var pos = 0

    init(buf: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buf = buf
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    func fail(_ k: JSONError.Kind) -> JSONError { JSONError(kind: k, offset: pos) }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSON {
        guard pos < buf.count else { throw fail(.unexpectedEnd) }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail(.unexpectedCharacter(buf[pos]))
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw fail(.unexpectedEnd) }
        for i in 0..<n where buf[pos + i] != word.utf8Start[i] {
            pos += i
            throw fail(.unexpectedCharacter(buf[pos]))
        }
        pos += n
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSON {
        if depth > maxDepth { throw fail(.tooDeep(maxDepth)) }
        pos += 1
        var o: [String: JSON] = [:]
        skipWhitespace()
        if pos < buf.count && buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
        while true {
            skipWhitespace()
            guard pos < buf.count else { throw fail(.unexpectedEnd) }
            guard buf[pos] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter(buf[pos])) }
            let keyStart = pos
            let key = try parseString()
            if o[key] != nil { throw JSONError(kind: .duplicateKey(key), offset: keyStart) }
            skipWhitespace()
            guard pos < buf.count else { throw fail(.unexpectedEnd) }
            guard buf[pos] == UInt8(ascii: ":") else { throw fail(.unexpectedCharacter(buf[pos])) }
            pos += 1
            skipWhitespace()
            o[key] = try parseValue(depth: depth)
            skipWhitespace()
            guard pos < buf.count else { throw fail(.unexpectedEnd) }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
            throw fail(.unexpectedCharacter(buf[pos]))
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSON {
        if depth > maxDepth { throw fail(.tooDeep(maxDepth)) }
        pos += 1
        var a: [JSON] = []
        skipWhitespace()
        if pos < buf.count && buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
        while true {
            skipWhitespace()
            a.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < buf.count else { throw fail(.unexpectedEnd) }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
            throw fail(.unexpectedCharacter(buf[pos]))
        }
    }

    mutating func parseNumber() throws(JSONError) -> JSON {
        let start = pos
        var isInteger = true
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count else { throw fail(.unexpectedEnd) }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count && isDigit(buf[pos]) { throw fail(.invalidNumber) }
        } else if isDigit(buf[pos]) {
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        } else {
            throw fail(.invalidNumber)
        }
        if pos < buf.count && buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw fail(.invalidNumber) }
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count && (buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E")) {
            isInteger = false
            pos += 1
            if pos < buf.count && (buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw fail(.invalidNumber) }
            while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { pos = start; throw fail(.invalidNumber) }
        return .double(d)
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    mutating func parseString() throws(JSONError) -> String {
        pos += 1 // opening quote
        var out = [UInt8]()
        var runStart = pos
        while true {
            guard pos < buf.count else { throw fail(.unexpectedEnd) }
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<pos]))
                pos += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail(.invalidUnicode) }
                return s
            }
            if c < 0x20 { throw fail(.controlCharacterInString) }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<pos]))
                pos += 1
                guard pos < buf.count else { throw fail(.unexpectedEnd) }
                let e = buf[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else { throw fail(.invalidUnicode) }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail(.invalidUnicode) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail(.invalidUnicode)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail(.invalidUnicode) }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    pos -= 1
                    throw fail(.invalidEscape)
                }
                runStart = pos
                continue
            }
            pos += 1
        }
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw fail(.unexpectedEnd) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw fail(.invalidEscape)
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}

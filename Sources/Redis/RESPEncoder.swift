/// Writes RESP: commands as arrays of bulk strings (what a client sends), and
/// any `RESPValue` in its RESP3 wire form (round-trip tests, fuzzing).
public enum RESPEncoder {
    /// Appends one command (`*N` of `$len` bulk strings) to `out`.
    public static func command(_ args: [RedisArgument], into out: inout [UInt8]) {
        header(UInt8(ascii: "*"), Int64(args.count), into: &out)
        for a in args {
            switch a {
            case .bytes(let b): bulk(b, into: &out)
            case .text(let s): bulk(Array(s.utf8), into: &out)
            case .int(let n): bulk(Array(String(n).utf8), into: &out)
            }
        }
    }

    /// One command's bytes.
    public static func command(_ args: [RedisArgument]) -> [UInt8] {
        var out: [UInt8] = []
        command(args, into: &out)
        return out
    }

    /// Appends `value` in RESP3 form (RESP2 types keep their RESP2 spelling).
    public static func value(_ value: RESPValue, into out: inout [UInt8]) {
        switch value {
        case .simpleString(let s): line(UInt8(ascii: "+"), s, into: &out)
        case .error(let s):
            // A message with CR or LF cannot be a simple error line: send a blob error.
            if s.utf8.contains(13) || s.utf8.contains(10) {
                header(UInt8(ascii: "!"), Int64(s.utf8.count), into: &out)
                out += s.utf8; crlf(&out)
            } else {
                line(UInt8(ascii: "-"), s, into: &out)
            }
        case .integer(let n): line(UInt8(ascii: ":"), String(n), into: &out)
        case .bulkString(let b): bulk(b, into: &out)
        case .array(let a): header(UInt8(ascii: "*"), Int64(a.count), into: &out); for v in a { self.value(v, into: &out) }
        case .null: out += [UInt8(ascii: "_"), 13, 10]
        case .double(let d):
            let text = d.isNaN ? "nan" : d == .infinity ? "inf" : d == -.infinity ? "-inf" : "\(d)"
            line(UInt8(ascii: ","), text, into: &out)
        case .boolean(let b): line(UInt8(ascii: "#"), b ? "t" : "f", into: &out)
        case .bigNumber(let s): line(UInt8(ascii: "("), s, into: &out)
        case .verbatim(let f, let t):
            let fmt = Array(f.utf8.prefix(3)) + Array(repeating: UInt8(ascii: " "), count: max(0, 3 - f.utf8.count))
            header(UInt8(ascii: "="), Int64(t.count + 4), into: &out)
            out += fmt; out.append(UInt8(ascii: ":")); out += t; crlf(&out)
        case .map(let pairs):
            header(UInt8(ascii: "%"), Int64(pairs.count), into: &out)
            for p in pairs { self.value(p.key, into: &out); self.value(p.value, into: &out) }
        case .set(let a): header(UInt8(ascii: "~"), Int64(a.count), into: &out); for v in a { self.value(v, into: &out) }
        case .push(let a): header(UInt8(ascii: ">"), Int64(a.count), into: &out); for v in a { self.value(v, into: &out) }
        }
    }

    private static func header(_ type: UInt8, _ n: Int64, into out: inout [UInt8]) {
        out.append(type); out += String(n).utf8; crlf(&out)
    }

    private static func bulk(_ b: [UInt8], into out: inout [UInt8]) {
        header(UInt8(ascii: "$"), Int64(b.count), into: &out)
        out += b; crlf(&out)
    }

    private static func line(_ type: UInt8, _ s: String, into out: inout [UInt8]) {
        out.append(type); out += s.utf8; crlf(&out)
    }

    private static func crlf(_ out: inout [UInt8]) { out.append(13); out.append(10) }
}

/// One argument of a Redis command: binary-safe bytes, text, or an integer.
public enum RedisArgument: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case bytes([UInt8])
    case text(String)
    case int(Int64)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}

/// Incremental RESP2/RESP3 reply parser, a pure step machine.
///
/// Fed whatever bytes have arrived, it answers one complete value, "need
/// more", or a typed `RESPError`. Consumed bytes are reported so the caller
/// can drop them: bulk payloads are taken as they come (a large reply never
/// sits twice in memory), header lines are taken only when whole. Feeding a
/// stream in any pieces gives the same values and the same error as feeding
/// it whole (tested, and checked by `fuzz/FuzzRESP`). Every length, count and
/// depth has an explicit limit; no input traps.
///
/// RESP3 attributes (`|`) are read, checked and dropped: the value they
/// annotate is delivered alone.
public struct RESPParser: Sendable {
    /// Explicit limits; each has its own error.
    public struct Limits: Sendable, Equatable {
        /// Longest bulk, blob error or verbatim payload (Redis's own default cap is 512 MiB).
        public var maxBulkBytes = 16 << 20
        /// Most elements of one array, set or push, or pairs of one map.
        public var maxAggregateCount = 1 << 20
        /// Deepest nesting of aggregates.
        public var maxDepth = 32
        /// Longest header or simple-string line, without its CRLF.
        public var maxLineBytes = 64 * 1024
        /// Most wire bytes of one top-level value (bounds the memory a reply can take).
        public var maxValueBytes = 64 << 20
        public init() {}
    }

    public enum Step: Sendable, Equatable {
        /// A complete value; `consumed` bytes of this call's input were used.
        case value(RESPValue, consumed: Int)
        /// Not enough bytes; `consumed` bytes were taken and may be dropped.
        case needMore(consumed: Int)
    }

    private enum Aggregate: Sendable { case array, map, set, push, attribute }
    private struct Frame: Sendable {
        var kind: Aggregate
        var expected: Int
        var items: [RESPValue]
    }
    private enum BulkKind: Sendable { case string, blobError, verbatim }
    private enum Pending: Sendable {
        case none
        case payload(BulkKind, remaining: Int, bytes: [UInt8])
        case terminator(BulkKind, bytes: [UInt8])
    }

    public let limits: Limits
    private var stack: [Frame] = []
    private var pending: Pending = .none
    private var valueBytes = 0

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// True between values (nothing partial held).
    public var isIdle: Bool {
        if case .none = pending { return stack.isEmpty && valueBytes == 0 }
        return false
    }

    /// Forgets any partial value (after an error, or on a new connection).
    public mutating func reset() {
        stack = []
        pending = .none
        valueBytes = 0
    }

    /// Parses from the start of `input`; call again with the unconsumed rest.
    public mutating func next(_ input: UnsafeRawBufferPointer) throws(RESPError) -> Step {
        var pos = 0
        let count = input.count
        while true {
            switch pending {
            case .payload(let kind, let remaining, var bytes):
                if pos == count { return .needMore(consumed: pos) }
                let n = min(remaining, count - pos)
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[pos..<(pos + n)]))
                pos += n
                pending = n == remaining ? .terminator(kind, bytes: bytes) : .payload(kind, remaining: remaining - n, bytes: bytes)
                if n < remaining { return .needMore(consumed: pos) }
            case .terminator(let kind, let bytes):
                if pos == count { return .needMore(consumed: pos) }
                guard input[pos] == 13 else { throw .missingBulkTerminator }
                if pos + 1 == count { return .needMore(consumed: pos) }
                guard input[pos + 1] == 10 else { throw .missingBulkTerminator }
                pos += 2
                pending = .none
                if let v = try complete(try bulkValue(kind, bytes)) { return .value(v, consumed: pos) }
            case .none:
                if pos == count { return .needMore(consumed: pos) }
                let type = input[pos]
                guard RESPParser.isType(type) else { throw .unknownType(type) }
                // The line: at most maxLineBytes, then CRLF. The same bytes
                // decide in the same order however the input was cut.
                var j = pos + 1
                let last = pos + 1 + limits.maxLineBytes
                var lineEnd = -1
                while j < count {
                    let b = input[j]
                    if b == 13 {
                        if j + 1 == count { return .needMore(consumed: pos) }
                        guard input[j + 1] == 10 else { throw .badLineEnding }
                        lineEnd = j
                        break
                    }
                    if b == 10 { throw .badLineEnding }
                    if j == last { throw .lineTooLong(limit: limits.maxLineBytes) }
                    j += 1
                }
                if lineEnd < 0 { return .needMore(consumed: pos) }
                let line = UnsafeRawBufferPointer(rebasing: input[(pos + 1)..<lineEnd])
                try addValueBytes(lineEnd + 2 - pos)
                pos = lineEnd + 2
                if let v = try header(type, line) { return .value(v, consumed: pos) }
            }
        }
    }

    // MARK: - One header line

    /// Handles a complete header line; returns a finished top-level value, if any.
    private mutating func header(_ type: UInt8, _ line: UnsafeRawBufferPointer) throws(RESPError) -> RESPValue? {
        switch type {
        case UInt8(ascii: "+"): return try complete(.simpleString(String(decoding: line, as: UTF8.self)))
        case UInt8(ascii: "-"): return try complete(.error(String(decoding: line, as: UTF8.self)))
        case UInt8(ascii: ":"):
            guard let n = RESPParser.decimal(line) else { throw .badInteger }
            return try complete(.integer(n))
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            guard let n = RESPParser.decimal(line) else { throw .badLength }
            let kind: BulkKind = type == UInt8(ascii: "$") ? .string : type == UInt8(ascii: "!") ? .blobError : .verbatim
            if n == -1 && kind == .string { return try complete(.null) }
            guard n >= 0 else { throw .badLength }
            guard n <= Int64(limits.maxBulkBytes) else { throw .bulkTooLong(length: n, limit: limits.maxBulkBytes) }
            let len = Int(n)
            try addValueBytes(len + 2)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(min(len, 64 * 1024))
            pending = len == 0 ? .terminator(kind, bytes: bytes) : .payload(kind, remaining: len, bytes: bytes)
            return nil
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            guard let n = RESPParser.decimal(line) else { throw .badLength }
            let kind: Aggregate
            switch type {
            case UInt8(ascii: "*"): kind = .array
            case UInt8(ascii: "%"): kind = .map
            case UInt8(ascii: "~"): kind = .set
            case UInt8(ascii: ">"): kind = .push
            default: kind = .attribute
            }
            if n == -1 && kind == .array { return try complete(.null) }
            guard n >= 0 else { throw .badLength }
            guard n <= Int64(limits.maxAggregateCount) else { throw .aggregateTooLarge(count: n, limit: limits.maxAggregateCount) }
            guard stack.count < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
            let expected = kind == .map || kind == .attribute ? Int(n) * 2 : Int(n)
            if expected == 0 { return kind == .attribute ? nil : try complete(RESPParser.build(kind, [])) }
            var items: [RESPValue] = []
            items.reserveCapacity(min(expected, 1024))
            stack.append(Frame(kind: kind, expected: expected, items: items))
            return nil
        case UInt8(ascii: "_"):
            guard line.isEmpty else { throw .badNull }
            return try complete(.null)
        case UInt8(ascii: "#"):
            guard line.count == 1, line[0] == UInt8(ascii: "t") || line[0] == UInt8(ascii: "f") else { throw .badBoolean }
            return try complete(.boolean(line[0] == UInt8(ascii: "t")))
        case UInt8(ascii: ","):
            guard let d = RESPParser.double(line) else { throw .badDouble }
            return try complete(.double(d))
        default: // "(" (isType admits nothing else)
            guard RESPParser.isSignedDigits(line) else { throw .badBigNumber }
            return try complete(.bigNumber(String(decoding: line, as: UTF8.self)))
        }
    }

    private func bulkValue(_ kind: BulkKind, _ bytes: [UInt8]) throws(RESPError) -> RESPValue {
        switch kind {
        case .string: return .bulkString(bytes)
        case .blobError: return .error(String(decoding: bytes, as: UTF8.self))
        case .verbatim:
            guard bytes.count >= 4, bytes[3] == UInt8(ascii: ":") else { throw .badVerbatim }
            return .verbatim(format: String(decoding: bytes[0..<3], as: UTF8.self), text: Array(bytes[4...]))
        }
    }

    /// Adds a finished value to the open aggregate; returns the top-level value once complete.
    private mutating func complete(_ value: RESPValue) throws(RESPError) -> RESPValue? {
        var v = value
        while !stack.isEmpty {
            let top = stack.count - 1
            stack[top].items.append(v)
            if stack[top].items.count < stack[top].expected { return nil }
            let frame = stack.removeLast()
            if frame.kind == .attribute {
                // An attribute annotates the next value: drop it, keep waiting for that value.
                return nil
            }
            v = RESPParser.build(frame.kind, frame.items)
        }
        valueBytes = 0
        return v
    }

    private static func build(_ kind: Aggregate, _ items: [RESPValue]) -> RESPValue {
        switch kind {
        case .array: return .array(items)
        case .set: return .set(items)
        case .push: return .push(items)
        case .map, .attribute:
            var pairs: [RESPPair] = []
            pairs.reserveCapacity(items.count / 2)
            var i = 0
            while i + 1 < items.count { pairs.append(RESPPair(items[i], items[i + 1])); i += 2 }
            return .map(pairs)
        }
    }

    private mutating func addValueBytes(_ n: Int) throws(RESPError) {
        let (sum, overflow) = valueBytes.addingReportingOverflow(n)
        guard !overflow, sum <= limits.maxValueBytes else { throw .valueTooLarge(limit: limits.maxValueBytes) }
        valueBytes = sum
    }

    // MARK: - Lexical helpers

    static func isType(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
             UInt8(ascii: "_"), UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "("), UInt8(ascii: "!"),
             UInt8(ascii: "="), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            return true
        default:
            return false
        }
    }

    /// A signed decimal that fits Int64 (optional leading '-' or '+'), else nil.
    static func decimal(_ s: UnsafeRawBufferPointer) -> Int64? {
        guard !s.isEmpty else { return nil }
        var i = 0
        var negative = false
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { negative = s[0] == UInt8(ascii: "-"); i = 1 }
        guard i < s.count else { return nil }
        var v: Int64 = 0
        while i < s.count {
            let c = s[i]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so Int64.min parses.
            let (a, o2) = m.subtractingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative { return v }
        let (p, o) = Int64(0).subtractingReportingOverflow(v)
        return o ? nil : p
    }

    static func isSignedDigits(_ s: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i = 1 }
        guard i < s.count else { return false }
        while i < s.count { guard s[i] >= 48 && s[i] <= 57 else { return false }; i += 1 }
        return true
    }

    /// `[+-]digits[.digits][(e|E)[+-]digits]`, `inf`, `-inf`, `+inf` or `nan`.
    static func double(_ s: UnsafeRawBufferPointer) -> Double? {
        let text = String(decoding: s, as: UTF8.self)
        switch text.lowercased() {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        var i = 0
        func digits() -> Int { let start = i; while i < s.count && s[i] >= 48 && s[i] <= 57 { i += 1 }; return i - start }
        if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i += 1 }
        var mantissa = digits()
        if i < s.count && s[i] == UInt8(ascii: ".") { i += 1; mantissa += digits() }
        guard mantissa > 0 else { return nil }
        if i < s.count && (s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E")) {
            i += 1
            if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i += 1 }
            guard digits() > 0 else { return nil }
        }
        guard i == s.count else { return nil }
        return Double(text)
    }
}

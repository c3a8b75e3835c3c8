import Redis

/// libFuzzer target: the RESP parser must never crash or loop, must agree with
/// itself whole and fed in pieces (3 bytes, and a size taken from the input),
/// and every value it accepts must serialize and parse back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var limits = RESPParser.Limits()
    limits.maxDepth = 8
    limits.maxBulkBytes = 4096
    limits.maxAggregateCount = 1024
    limits.maxLineBytes = 256
    limits.maxValueBytes = 16384
    let whole = parse(input, piece: input.count, limits: limits)
    let piece = input.isEmpty ? 1 : Int(input[0] % 7) + 1
    for p in [3, piece] {
        let other = parse(input, piece: p, limits: limits)
        if whole.values != other.values || whole.error != other.error {
            fatalError("parser disagrees with itself in \(p)-byte pieces: \(whole) vs \(other)")
        }
    }
    for v in whole.values where asciiFormats(v) {
        var out: [UInt8] = []
        RESPEncoder.value(v, into: &out)
        let again = parse(out, piece: out.count, limits: RESPParser.Limits())
        if again.values != [v] { fatalError("round trip changed \(v) into \(again)") }
    }
    return 0
}

private func parse(_ input: [UInt8], piece: Int, limits: RESPParser.Limits) -> (values: [RESPValue], error: RESPError?) {
    var parser = RESPParser(limits: limits)
    var buffer: [UInt8] = []
    var offset = 0
    var values: [RESPValue] = []
    var steps = 0
    while steps < 1_000_000 {
        steps += 1
        do {
            let step = try buffer.withUnsafeBytes { try parser.next($0) }
            switch step {
            case .value(let v, let consumed):
                precondition(consumed > 0 && consumed <= buffer.count, "value consumed \(consumed) of \(buffer.count)")
                buffer.removeFirst(consumed)
                values.append(v)
            case .needMore(let consumed):
                precondition(consumed <= buffer.count, "consumed beyond the input")
                buffer.removeFirst(consumed)
                if offset >= input.count { return (values, nil) }
                let n = max(1, min(piece, input.count - offset))
                buffer += input[offset..<(offset + n)]
                offset += n
            }
        } catch {
            return (values, error as? RESPError)
        }
    }
    fatalError("parser made no progress")
}

/// Verbatim formats that are not 3 ASCII bytes do not survive lossy UTF-8 decoding; skip those round trips.
private func asciiFormats(_ v: RESPValue) -> Bool {
    switch v {
    case .verbatim(let f, _): return f.utf8.count == 3 && f.utf8.allSatisfy { $0 < 128 }
    case .array(let a), .set(let a), .push(let a): return a.allSatisfy(asciiFormats)
    case .map(let pairs): return pairs.allSatisfy { asciiFormats($0.key) && asciiFormats($0.value) }
    default: return true
    }
}

import HTTP

/// libFuzzer target: the request parser must never crash, loop forever or
/// disagree with itself: parsing the input whole and in 3-byte pieces must
/// give the same sequence of steps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = steps(input, piece: input.count)
    let pieces = steps(input, piece: 3)
    if whole != pieces {
        fatalError("parser disagrees with itself: \(whole) vs \(pieces)")
    }
    return 0
}

private func steps(_ input: [UInt8], piece: Int) -> [String] {
    var limits = RequestParser.Limits()
    limits.maxHeadBytes = 4096
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    var out: [String] = []
    var offset = 0
    var body: [UInt8] = []
    var guardCount = 0
    while guardCount < 100_000 {
        guardCount += 1
        let step: RequestParser.Step
        do {
            step = try buffer.withUnsafeBytes { try parser.next($0) }
        } catch {
            if !body.isEmpty { out.append("body \(body.count)"); body = [] }
            out.append("error \(error)")
            return out
        }
        switch step {
        case .needMore(let consumed):
            buffer.removeFirst(consumed)
            if consumed == 0 {
                if offset >= input.count { if !body.isEmpty { out.append("body \(body.count)") }; return out }
                let n = max(1, min(piece, input.count - offset))
                buffer.append(contentsOf: input[offset..<(offset + n)])
                offset += n
            }
        case .head(let box, let consumed):
            buffer.removeFirst(consumed)
            out.append("head \(box.head.method) \(box.head.target) \(box.head.bodyFraming)")
            if box.head.bodyFraming == .none { _ = try? buffer.withUnsafeBytes { try parser.next($0) } }
        case .body(let range, let consumed):
            precondition(range.upperBound <= buffer.count && consumed <= buffer.count, "body range outside input")
            body.append(contentsOf: buffer[range])
            buffer.removeFirst(consumed)
        case .end(let consumed):
            buffer.removeFirst(consumed)
            if !body.isEmpty { out.append("body \(body.count)"); body = [] }
            out.append("end")
        }
    }
    fatalError("parser made no progress")
}

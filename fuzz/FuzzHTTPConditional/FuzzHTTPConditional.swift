import HTTP
import RecordStore

/// libFuzzer target: HTTP dates and the conditional-request headers of the
/// record stores (Range, If-Range, If-Match, If-None-Match,
/// If-Modified-Since, If-Unmodified-Since) never crash, and what they accept
/// is consistent: a parsed date formats back to itself, a resolved range lies
/// inside the representation.
///
/// Input: up to three lines, used as the header values (each line is tried
/// in every conditional header, and as Range / If-Range).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPConditional(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    let current = Validators(etag: EntityTag(opaque: "abc-1"), lastModified: 1_700_000_000)
    for line in lines {
        if let t = HTTPDates.parse(line) {
            // The date range HTTP dates may have: years 1900-9999.
            guard t >= -2_208_988_800, t <= 253_402_300_800 else { fatalError("date out of range: \(t) from \(line)") }
            let again = HTTPDates.parse(HTTPDates.format(epochSeconds: t))
            if again != t && !line.contains(":60 ") { fatalError("date round trip: \(line) -> \(t) -> \(String(describing: again))") }
        }
        for name in ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"] {
            for method in ["GET", "PUT"] {
                _ = Conditional.evaluate(method: method, headers: HTTPHeaders([(name, line)]), current: current)
                _ = Conditional.evaluate(method: method, headers: HTTPHeaders([(name, line)]), current: nil)
            }
        }
        _ = Conditional.evaluate(method: "GET", headers: HTTPHeaders(lines.enumerated().map { (["If-Match", "If-Unmodified-Since", "If-None-Match"][$0.offset], $0.element) }), current: current)
        _ = Conditional.rangeAllowed(ifRange: line, current: current)
        if let specs = try? ByteRange.parse(line) {
            for size: Int64 in [0, 1, 2, 100, 1 << 40, Int64.max] {
                if case .partial(let first, let last) = ByteRange.resolve(specs, size: size) {
                    guard first >= 0, first <= last, last < size else { fatalError("range \(line) on \(size) bytes gave \(first)-\(last)") }
                }
            }
        }
    }
    return 0
}

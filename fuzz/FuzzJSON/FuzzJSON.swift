import JSON

/// libFuzzer target: the JSON parser must never crash, and whatever it
/// accepts must serialize to text that parses back to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSON.parse(input) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSON.parse(text) else { fatalError("serialized form does not parse: \(text)") }
    if again != value && !containsNaNLike(value) { fatalError("round trip changed the value: \(text)") }
    return 0
}

private func containsNaNLike(_ v: JSON) -> Bool {
    switch v {
    case .double(let d): return !d.isFinite
    case .array(let a): return a.contains(where: containsNaNLike)
    case .object(let o): return o.values.contains(where: containsNaNLike)
    default: return false
    }
}

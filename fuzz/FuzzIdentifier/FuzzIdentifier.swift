import Identifier

/// libFuzzer target: the identifier rule and its file-system spelling.
/// For any input: `isValid` and `pathSegments` never crash. For a valid id:
/// its `fileName` is a single safe path component (not empty, `.` or `..`,
/// no `/` or NUL, at most 255 bytes) that decodes back to the id, and a
/// percent-encoded id is one path segment again. Two different valid ids
/// (the input split at its first 0xFF byte) never share a file name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentifier(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: 0xFF, maxSplits: 1, omittingEmptySubsequences: false)
    var names: [String: String] = [:]
    for part in parts {
        let text = String(decoding: part, as: UTF8.self)
        _ = Identifier.pathSegments(text)
        guard Identifier.isValid(text) else { continue }
        let name = Identifier.fileName(text)
        if name.isEmpty || name == "." || name == ".." || name.utf8.count > 255
            || name.utf8.contains(UInt8(ascii: "/")) || name.utf8.contains(0) {
            fatalError("unsafe file name \(name.debugDescription) for \(text.debugDescription)")
        }
        guard Identifier.fromFileName(name) == text else { fatalError("\(name) does not decode to \(text.debugDescription)") }
        if let other = names[name], other != text { fatalError("\(other.debugDescription) and \(text.debugDescription) share \(name)") }
        names[name] = text
        let encoded = text.utf8.map { b -> String in
            let plain = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            return plain ? String(UnicodeScalar(b)) : "%" + String(b >> 4, radix: 16) + String(b & 15, radix: 16)
        }.joined()
        guard Identifier.pathSegments("/x/" + encoded + "?q") == ["x", text] else { fatalError("\(encoded) is not one segment") }
    }
    return 0
}

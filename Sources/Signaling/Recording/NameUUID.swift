import COpenSSL

/// Name-based UUIDs (RFC 9562 §5.5, version 5: SHA-1 of namespace + name),
/// computed with OpenSSL. Used for stable asset ids (the same file always
/// has the same id, live or finished) and for the records-store event of a
/// conference whose id is not a UUID.
enum NameUUID {
    /// RFC 9562's NameSpace_URL, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    static let urlNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    static func v5(namespace: [UInt8], name: String) -> String {
        var input = namespace
        input += Array(name.utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        _ = input.withUnsafeBufferPointer { SHA1($0.baseAddress, $0.count, &digest) }
        var b = Array(digest[0..<16])
        b[6] = (b[6] & 0x0F) | 0x50
        b[8] = (b[8] & 0x3F) | 0x80
        return format(b)
    }

    /// The 16 bytes of a canonical UUID string, or nil.
    static func bytes(_ uuid: String) -> [UInt8]? {
        let hex = uuid.replacingOccurrences(of: "-", with: "")
        guard uuid.utf8.count == 36, hex.utf8.count == 32 else { return nil }
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() {
            guard let v = UInt8(String([a, b]), radix: 16) else { return nil }
            out.append(v)
        }
        return out
    }

    static func format(_ b: [UInt8]) -> String {
        let hex = b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// The records-store event of a conference: its id when that is a UUID
    /// (lower-cased), else UUIDv5(NameSpace_URL, "sfu:conference:" + id).
    static func recordsEvent(conferenceId: String) -> String {
        if let b = bytes(conferenceId.lowercased()), format(b) == conferenceId.lowercased() { return conferenceId.lowercased() }
        return v5(namespace: urlNamespace, name: "sfu:conference:" + conferenceId)
    }
}

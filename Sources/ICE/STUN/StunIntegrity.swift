import COpenSSL

/// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and FINGERPRINT (§14.7)
/// computation and checking over raw message bytes.
///
/// It exists apart from `StunMessage` because both values are computed over
/// the *bytes* of the message up to the attribute, with the header's length
/// field rewritten as if the attribute were the last one — something only
/// the wire form can express. ICE uses short-term credentials (RFC 8445
/// §7.2.2): the key is the password's UTF-8 bytes (OpaqueString of an
/// ice-char password is the password itself).
public enum StunIntegrity {
    /// The value FINGERPRINT XORs into the CRC (§14.7), "STUN" in ASCII.
    public static let fingerprintXor: UInt32 = 0x5354_554E

    /// HMAC-SHA1 of `message[0..<end]` with the header length field replaced
    /// by `end - 20 + 24` (the length the message would have if
    /// MESSAGE-INTEGRITY were its last attribute), §14.5.
    static func hmacSHA1(_ message: UnsafeRawBufferPointer, upTo end: Int, key: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(end >= 20 && end <= message.count)
        var out = [UInt8](repeating: 0, count: 20)
        withUnsafeTemporaryAllocation(byteCount: end, alignment: 1) { scratch in
            scratch.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[0..<end]))
            let adjusted = UInt16(end - 20 + 24)
            scratch[2] = UInt8(adjusted >> 8)
            scratch[3] = UInt8(truncatingIfNeeded: adjusted)
            var length: UInt32 = 20
            out.withUnsafeMutableBufferPointer { o in
                _ = HMAC(EVP_sha1(), key.baseAddress, Int32(key.count),
                         scratch.baseAddress!.assumingMemoryBound(to: UInt8.self), end, o.baseAddress, &length)
            }
        }
        return out
    }

    /// Finds MESSAGE-INTEGRITY in an already parsed message and checks it
    /// against `key` in constant time. False when there is none.
    ///
    /// The datagram must be one `StunMessage.parse` accepted (the attribute
    /// walk trusts its structure only as far as the bounds checks here).
    public static func verify(_ message: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> Bool {
        guard let offset = attributeOffset(of: StunAttribute.Kind.messageIntegrity, in: message),
              message.u16(at: offset + 2) == 20, offset + 24 <= message.count else { return false }
        let expected = hmacSHA1(message, upTo: offset, key: key)
        var diff: UInt8 = 0
        for i in 0..<20 { diff |= expected[i] ^ message[offset + 4 + i] }
        return diff == 0
    }

    public static func verify(_ message: [UInt8], key: [UInt8]) -> Bool {
        message.withUnsafeBytes { m in key.withUnsafeBytes { k in verify(m, key: k) } }
    }

    /// The FINGERPRINT value for `message[0..<end]`; the header length must
    /// already count the FINGERPRINT attribute (it is always last).
    static func fingerprint(_ message: UnsafeRawBufferPointer, upTo end: Int) -> UInt32 {
        CRC32.checksum(UnsafeRawBufferPointer(rebasing: message[0..<end])) ^ fingerprintXor
    }

    /// Offset of the first attribute of `type` in a STUN message, walking the
    /// TLV chain with bounds checks; nil if absent or the chain is broken.
    static func attributeOffset(of type: UInt16, in message: UnsafeRawBufferPointer) -> Int? {
        guard message.count >= 20 else { return nil }
        let end = min(message.count, 20 + Int(message.u16(at: 2)))
        var offset = 20
        while offset + 4 <= end {
            let t = message.u16(at: offset)
            if t == type { return offset }
            offset += 4 + ((Int(message.u16(at: offset + 2)) + 3) & ~3)
        }
        return nil
    }
}

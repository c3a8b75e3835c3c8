extension StunMessage {
    /// Parses one datagram as a STUN message (RFC 8489 §5, §6.3, §14).
    ///
    /// Checks, in order: header size, the two zero bits, the magic cookie,
    /// the length field (multiple of 4 and equal to the datagram), each
    /// attribute's bounds and value, attribute order after
    /// MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, and the FINGERPRINT value.
    /// Allocates only the attribute array and the decoded values.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(StunParseError) -> StunMessage {
        guard bytes.count >= headerSize else { throw .truncatedHeader(length: bytes.count) }
        let rawType = bytes.u16(at: 0)
        guard rawType & 0xC000 == 0 else { throw .topBitsNotZero }
        let cookie = bytes.u32(at: 4)
        guard cookie == magicCookie else { throw .badMagicCookie(cookie) }
        let length = bytes.u16(at: 2)
        guard length % 4 == 0 else { throw .lengthNotMultipleOf4(length) }
        guard headerSize + Int(length) == bytes.count else {
            throw .lengthMismatch(declared: Int(length), actual: bytes.count - headerSize)
        }
        let transactionID = StunTransactionID(hi: bytes.u32(at: 8), lo: bytes.u64(at: 12))

        var attributes: [StunAttribute] = []
        attributes.reserveCapacity(8)
        var afterIntegrity = false      // MESSAGE-INTEGRITY seen
        var afterIntegrity256 = false   // MESSAGE-INTEGRITY-SHA256 seen
        var afterFingerprint = false
        var offset = headerSize
        while offset < bytes.count {
            // offset is a multiple of 4 below a multiple-of-4 end, so the 4-byte header fits.
            let type = bytes.u16(at: offset)
            let valueLength = Int(bytes.u16(at: offset + 2))
            let valueStart = offset + 4
            let next = valueStart + ((valueLength + 3) & ~3)
            guard next <= bytes.count else { throw .attributeOverrun(type: type, offset: offset) }

            // Ordering rules: FINGERPRINT is last (§14.7); after MESSAGE-INTEGRITY
            // only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (§14.5); after
            // MESSAGE-INTEGRITY-SHA256 only FINGERPRINT (§14.6).
            if afterFingerprint { throw .fingerprintNotLast(followingType: type) }
            if type != StunAttribute.Kind.fingerprint {
                if afterIntegrity256 || (afterIntegrity && type != StunAttribute.Kind.messageIntegritySHA256) {
                    throw .attributeAfterIntegrity(type: type)
                }
            }

            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<(valueStart + valueLength)])
            let attribute = try decodeAttribute(type: type, value: value, transactionID: transactionID)
            switch attribute {
            case .messageIntegrity: afterIntegrity = true
            case .messageIntegritySHA256: afterIntegrity256 = true
            case .fingerprint(let found):
                let expected = StunIntegrity.fingerprint(bytes, upTo: offset)
                guard found == expected else { throw .badFingerprint(expected: expected, found: found) }
                afterFingerprint = true
            default: break
            }
            attributes.append(attribute)
            offset = next
        }
        return StunMessage(type: StunMessageType(rawValue: rawType), transactionID: transactionID, attributes: attributes)
    }

    public static func parse(_ bytes: [UInt8]) throws(StunParseError) -> StunMessage {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(StunParseError) in try parse(raw) } }
        return try result.get()
    }

    private static func decodeAttribute(type: UInt16, value: UnsafeRawBufferPointer,
                                        transactionID: StunTransactionID) throws(StunParseError) -> StunAttribute {
        typealias K = StunAttribute.Kind
        func requireLength(_ ok: Bool) throws(StunParseError) {
            if !ok { throw .invalidAttributeLength(type: type, length: value.count) }
        }
        func text() throws(StunParseError) -> String {
            guard let s = String(validating: value, as: UTF8.self) else { throw .invalidUTF8(type: type) }
            return s
        }

        switch type {
        case K.mappedAddress:
            return .mappedAddress(try decodeAddress(type: type, value: value, xor: nil))
        case K.xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(type: type, value: value, xor: transactionID))
        case K.username:
            return .username(try text())
        case K.software:
            return .software(try text())
        case K.messageIntegrity:
            try requireLength(value.count == 20)
            return .messageIntegrity(Array(value))
        case K.messageIntegritySHA256:
            try requireLength(value.count >= 16 && value.count <= 32 && value.count % 4 == 0)
            return .messageIntegritySHA256(Array(value))
        case K.fingerprint:
            try requireLength(value.count == 4)
            return .fingerprint(value.u32(at: 0))
        case K.errorCode:
            // 21 reserved bits, 3-bit class (3...6), 8-bit number (0...99), reason (§14.8).
            try requireLength(value.count >= 4)
            let errorClass = Int(value[2] & 0x07)
            let number = Int(value[3])
            guard (3...6).contains(errorClass), number < 100 else { throw .invalidAttributeValue(type: type) }
            guard let reason = String(validating: UnsafeRawBufferPointer(rebasing: value[4...]), as: UTF8.self) else {
                throw .invalidUTF8(type: type)
            }
            return .errorCode(code: errorClass * 100 + number, reason: reason)
        case K.unknownAttributes:
            try requireLength(value.count % 2 == 0)
            return .unknownAttributes(stride(from: 0, to: value.count, by: 2).map { value.u16(at: $0) })
        case K.priority:
            try requireLength(value.count == 4)
            return .priority(value.u32(at: 0))
        case K.useCandidate:
            try requireLength(value.isEmpty)
            return .useCandidate
        case K.iceControlled:
            try requireLength(value.count == 8)
            return .iceControlled(value.u64(at: 0))
        case K.iceControlling:
            try requireLength(value.count == 8)
            return .iceControlling(value.u64(at: 0))
        default:
            return .other(type: type, value: Array(value))
        }
    }

    /// (XOR-)MAPPED-ADDRESS (§14.1, §14.2): reserved byte, family (1 = IPv4,
    /// 2 = IPv6), port, address. XOR variant: port XOR the cookie's top 16
    /// bits, IPv4 XOR the cookie, IPv6 XOR cookie ‖ transaction ID.
    private static func decodeAddress(type: UInt16, value: UnsafeRawBufferPointer,
                                      xor: StunTransactionID?) throws(StunParseError) -> SocketAddress {
        guard value.count == 8 || value.count == 20 else {
            throw .invalidAttributeLength(type: type, length: value.count)
        }
        let family = value[1]
        guard (family == 0x01 && value.count == 8) || (family == 0x02 && value.count == 20) else {
            throw .invalidAttributeValue(type: type)
        }
        var port = value.u16(at: 2)
        if xor != nil { port ^= UInt16(magicCookie >> 16) }
        if family == 0x01 {
            var ip = value.u32(at: 4)
            if xor != nil { ip ^= magicCookie }
            return SocketAddress(ip: .v4(ip), port: port)
        }
        var hi = value.u64(at: 4)
        var lo = value.u64(at: 12)
        if let tid = xor {
            hi ^= UInt64(magicCookie) << 32 | UInt64(tid.hi)
            lo ^= tid.lo
        }
        return SocketAddress(ip: .v6(hi: hi, lo: lo), port: port)
    }
}

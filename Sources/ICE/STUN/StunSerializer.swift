extension StunMessage {
    /// The wire form with attributes written exactly as stored (including any
    /// stored MESSAGE-INTEGRITY or FINGERPRINT values) and zero padding.
    public func serialized() -> [UInt8] {
        var out = header()
        for attribute in attributes { append(attribute, to: &out) }
        out.setBE(UInt16(out.count - Self.headerSize), at: 2)
        return out
    }

    /// The wire form with fresh trailers: any stored MESSAGE-INTEGRITY,
    /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are dropped, then
    /// MESSAGE-INTEGRITY is computed with `integrityKey` (if given, §14.5)
    /// and FINGERPRINT appended last (if asked, §14.7).
    public func serialized(integrityKey: [UInt8]?, fingerprint: Bool) -> [UInt8] {
        typealias K = StunAttribute.Kind
        var out = header()
        for attribute in attributes {
            switch attribute.type {
            case K.messageIntegrity, K.messageIntegritySHA256, K.fingerprint: continue
            default: append(attribute, to: &out)
            }
        }
        if let key = integrityKey {
            let offset = out.count
            // The HMAC covers the header with the length as if MESSAGE-INTEGRITY were last.
            let mac = out.withUnsafeBytes { m in key.withUnsafeBytes { k in StunIntegrity.hmacSHA1(m, upTo: offset, key: k) } }
            out.appendBE(K.messageIntegrity)
            out.appendBE(UInt16(20))
            out.append(contentsOf: mac)
        }
        if fingerprint {
            let offset = out.count
            out.setBE(UInt16(offset + 8 - Self.headerSize), at: 2)
            let crc = out.withUnsafeBytes { StunIntegrity.fingerprint($0, upTo: offset) }
            out.appendBE(K.fingerprint)
            out.appendBE(UInt16(4))
            out.appendBE(crc)
        }
        out.setBE(UInt16(out.count - Self.headerSize), at: 2)
        return out
    }

    private func header() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.appendBE(type.rawValue)
        out.appendBE(UInt16(0))  // length, set at the end
        out.appendBE(Self.magicCookie)
        out.appendBE(transactionID.hi)
        out.appendBE(transactionID.lo)
        return out
    }

    private func append(_ attribute: StunAttribute, to out: inout [UInt8]) {
        let start = out.count
        out.appendBE(attribute.type)
        out.appendBE(UInt16(0))  // value length, set below
        switch attribute {
        case .mappedAddress(let a):
            appendAddress(a, xor: false, to: &out)
        case .xorMappedAddress(let a):
            appendAddress(a, xor: true, to: &out)
        case .username(let s), .software(let s):
            out.append(contentsOf: s.utf8)
        case .messageIntegrity(let v), .messageIntegritySHA256(let v), .other(_, let v):
            out.append(contentsOf: v)
        case .fingerprint(let v), .priority(let v):
            out.appendBE(v)
        case .errorCode(let code, let reason):
            out.appendBE(UInt16(0))
            out.append(UInt8(truncatingIfNeeded: code / 100) & 0x07)
            out.append(UInt8(truncatingIfNeeded: code % 100))
            out.append(contentsOf: reason.utf8)
        case .unknownAttributes(let types):
            for t in types { out.appendBE(t) }
        case .useCandidate:
            break
        case .iceControlled(let v), .iceControlling(let v):
            out.appendBE(v)
        }
        let valueLength = out.count - start - 4
        precondition(valueLength <= 0xFFFF, "STUN attribute value longer than 65535 bytes")
        out.setBE(UInt16(valueLength), at: start + 2)
        while out.count % 4 != 0 { out.append(0) }
    }

    private func appendAddress(_ address: SocketAddress, xor: Bool, to out: inout [UInt8]) {
        out.append(0)
        let port = xor ? address.port ^ UInt16(Self.magicCookie >> 16) : address.port
        switch address.ip {
        case .v4(let ip):
            out.append(0x01)
            out.appendBE(port)
            out.appendBE(xor ? ip ^ Self.magicCookie : ip)
        case .v6(let hi, let lo):
            out.append(0x02)
            out.appendBE(port)
            out.appendBE(xor ? hi ^ (UInt64(Self.magicCookie) << 32 | UInt64(transactionID.hi)) : hi)
            out.appendBE(xor ? lo ^ transactionID.lo : lo)
        }
    }
}

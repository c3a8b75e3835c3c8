// Big-endian helpers shared by the STUN parser and serializer. STUN is
// network byte order throughout (RFC 8489 §5); reads are unaligned because
// attributes sit at any multiple of 4 from an arbitrary datagram start.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func u16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func u32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func u64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendBE(_ v: UInt16) {
        append(UInt8(v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func appendBE(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func appendBE(_ v: UInt64) {
        appendBE(UInt32(v >> 32)); appendBE(UInt32(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func setBE(_ v: UInt16, at offset: Int) {
        self[offset] = UInt8(v >> 8); self[offset + 1] = UInt8(truncatingIfNeeded: v)
    }

    @inline(__always)
    mutating func setBE(_ v: UInt32, at offset: Int) {
        self[offset] = UInt8(v >> 24); self[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: v >> 8); self[offset + 3] = UInt8(truncatingIfNeeded: v)
    }
}
